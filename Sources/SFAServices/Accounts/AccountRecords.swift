import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How accounts are stored and checked.
extension Account: OwnedRecord, ArchivableRecord {
    static var table: String { "account" }
    static var recordKind: RecordKind { .account }
    static var idPrefix: String { "acct" }
    static var fieldPath: String { "account" }

    /// The fields a caller may set on create and change on update.
    static let updatable: Set<String> = [
        "name", "kind", "website", "phone", "industry", "employee_count", "annual_revenue", "billing_address",
        "parent_account_id", "notes", "custom_fields", "owner_user_id",
    ]

    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId, "archived": archived, "kind": kind.rawValue,
            "industry": RecordText.key(industry), "name_key": RecordText.companyKey(name),
            "search": RecordText.search(name, website, industry), "update_time_ms": updateTimeMs,
        ]
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.text(name, prefix + "name")
        validation.known(kind, prefix + "kind", required: false)
        validation.text(website, prefix + "website", required: false, maximumLength: 2048)
        validation.phone(phone, prefix + "phone")
        validation.text(industry, prefix + "industry", required: false, maximumLength: 100)
        validation.check(employeeCount >= 0, prefix + "employee_count", .outOfRange, "is negative")
        if let annualRevenue { validation.money(annualRevenue, prefix + "annual_revenue") }
        validation.text(notes, prefix + "notes", required: false, maximumLength: 10_000)
        validation.customFields(customFields, prefix + "custom_fields")
        validation.address(billingAddress, prefix + "billing_address")
        validation.reference(parentAccountId, prefix + "parent_account_id")
        validation.check(parentAccountId.isEmpty || parentAccountId != id, prefix + "parent_account_id", .inconsistent, "an account cannot be its own parent")
    }
}

enum AccountRecords {
    /// Checks that `id` names a live account of the tenant (for links from other records).
    static func requireLinkable(_ db: Database, id: String, field: String) throws {
        let archived = try Bool.fetchOne(db.cachedStatement(sql: "SELECT archived FROM account WHERE id = ?"), arguments: [id])
        guard let archived else {
            throw RPCError.invalidArgument("unknown account", violations: [FieldViolation(field, .notFound, "no account \(id)")])
        }
        guard !archived else {
            throw RPCError.invalidArgument("archived account", violations: [FieldViolation(field, .archived, "account \(id) is archived")])
        }
    }
}
