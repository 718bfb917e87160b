import GRDB
import SFAStorage
import SFAStubs

/// How opportunities are stored. Today only ConvertLead writes them; the pipeline
/// issue adds their service and their stage rules.
extension Opportunity: OwnedRecord {
    static var table: String { "opportunity" }
    static var recordKind: RecordKind { .opportunity }
    static var idPrefix: String { "opp" }
    static var fieldPath: String { "opportunity" }
    static var updatable: Set<String> { [] }

    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "account_id": accountId, "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId,
            "source_lead_id": sourceLeadId, "update_time_ms": updateTimeMs,
        ]
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.text(name, prefix + "name")
        if let amount { validation.money(amount, prefix + "amount") }
        validation.reference(accountId, prefix + "account_id")
    }

    func requireWritable() throws {}
}
