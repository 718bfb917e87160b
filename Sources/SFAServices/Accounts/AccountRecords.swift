import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How accounts are stored and checked.
enum AccountRecords {
    static let table = "account"

    static func columns(_ account: Account) -> [String: (any DatabaseValueConvertible)?] {
        [
            "id": account.id, "version": account.version, "owner_user_id": account.ownerUserId,
            "created_by_user_id": account.createdByUserId, "archived": account.archived, "kind": account.kind.rawValue,
            "industry": RecordText.key(account.industry), "name_key": RecordText.companyKey(account.name),
            "search": RecordText.search(account.name, account.website, account.industry),
            "update_time_ms": account.updateTimeMs, "data": Data(account.serializedBytes()),
        ]
    }

    /// The fields a caller may set on create and change on update.
    static let updatable: Set<String> = [
        "name", "kind", "website", "phone", "industry", "employee_count", "annual_revenue", "billing_address",
        "parent_account_id", "notes", "custom_fields", "owner_user_id",
    ]

    static func validate(_ account: Account, fields: Set<String>, into validation: inout Validation) {
        if fields.contains("name") { validation.text(account.name, "account.name") }
        if fields.contains("kind") { validation.known(account.kind, "account.kind", required: false) }
        if fields.contains("website") { validation.text(account.website, "account.website", required: false, maximumLength: 2048) }
        if fields.contains("phone") { validation.phone(account.phone, "account.phone") }
        if fields.contains("industry") { validation.text(account.industry, "account.industry", required: false, maximumLength: 100) }
        if fields.contains("employee_count") { validation.check(account.employeeCount >= 0, "account.employee_count", "is negative") }
        if fields.contains("annual_revenue"), let revenue = account.annualRevenue { validation.money(revenue, "account.annual_revenue") }
        if fields.contains("notes") { validation.text(account.notes, "account.notes", required: false, maximumLength: 10_000) }
        if fields.contains("custom_fields") { validation.customFields(account.customFields, "account.custom_fields") }
        if fields.contains("billing_address") { validation.address(account.billingAddress, "account.billing_address") }
        if fields.contains("parent_account_id") { validation.reference(account.parentAccountId, "account.parent_account_id") }
    }

    /// The account, if it exists and the caller may see it.
    static func fetch(_ db: Database, id: String, access: RecordAccess) throws -> Account {
        guard let account = try RecordRows.fetch(db, Account.self, table: table, id: id, condition: access.condition) else {
            throw StorageError.notFound(kind: "account", id: id)
        }
        return account
    }

    /// Checks that `id` names a live account of the tenant (for links from other records).
    static func requireLinkable(_ db: Database, id: String, field: String) throws {
        let archived = try Bool.fetchOne(db, sql: "SELECT archived FROM account WHERE id = ?", arguments: [id])
        guard let archived else {
            throw RPCError.invalidArgument("unknown account", violations: [FieldViolation(field: field, description: "no account \(id)")])
        }
        guard !archived else {
            throw RPCError.invalidArgument("archived account", violations: [FieldViolation(field: field, description: "account \(id) is archived")])
        }
    }
}
