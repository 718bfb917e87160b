import GRDB
import SFAStorage
import SFAStubs

/// How sales targets are stored: owned by the user they are for, so a rep reads its
/// own targets and a manager its team's; team and tenant targets have no owner (in
/// every team scope, like the lead routing queue), and are set by managers for their
/// own team and by admins.
extension SalesTarget: OwnedRecord {
    static var table: String { "sales_target" }
    static var recordKind: RecordKind { .salesTarget }
    static var idPrefix: String { "tgt" }
    static var fieldPath: String { "target" }

    /// A target's key (user, team, month) never changes: setting another key is another target.
    static let updatable: Set<String> = ["amount"]
    static var creatable: Set<String> { ["owner_user_id", "team_id", "month", "amount"] }

    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId, "team_id": teamId, "month": month,
            "amount_currency": amount?.currencyCode ?? "", "amount_minor": amount?.amountMinor ?? 0, "update_time_ms": updateTimeMs,
        ]
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.reference(ownerUserId, prefix + "owner_user_id")
        validation.reference(teamId, prefix + "team_id")
        validation.check(ownerUserId.isEmpty || teamId.isEmpty, prefix + "team_id", .inconsistent, "a target is for a user or a team, not both")
        validation.month(month, prefix + "month")
        if let amount {
            validation.money(amount, prefix + "amount")
            validation.check(ISO4217.exponent(of: amount.currencyCode) != nil, prefix + "amount.currency_code", .unknownValue, "is not an ISO 4217 currency")
        } else {
            validation.check(false, prefix + "amount", .required, "is required")
        }
    }

    /// Targets are replaced, never archived: always writable.
    func requireWritable() throws {}
}

extension Validation {
    /// A month, `YYYY-MM`.
    mutating func month(_ value: String, _ field: String) {
        guard !value.isEmpty else {
            check(false, field, .required, "is required")
            return
        }
        date(value + "-01", field, required: true)
    }
}
