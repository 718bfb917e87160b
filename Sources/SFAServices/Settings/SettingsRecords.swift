import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// A tenant's settings: one row, the whole `TenantSettings` message.
enum SettingsRecords {
    /// What a tenant starts with: no custom lead statuses, approval above 20% discount,
    /// US dollars, UTC, Monday to Friday, deals stalled after 14 days without activity.
    static let defaults = TenantSettings(
        version: 0,
        quoteDiscountApprovalThresholdBps: 2000,
        defaultCurrencyCode: "USD",
        timeZone: "UTC",
        workingDays: [.monday, .tuesday, .wednesday, .thursday, .friday],
        stalledDealDays: 14
    )

    static func load(_ db: Database) throws -> TenantSettings {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT data FROM tenant_settings WHERE singleton = 1")) else { return defaults }
        return try TenantSettings(serializedBytes: Array(data))
    }

    static func store(_ db: Database, _ settings: TenantSettings, expectedVersion: Int64) throws {
        let data = Data(settings.serializedBytes())
        if expectedVersion == 0 {
            do {
                try db.execute(sql: "INSERT INTO tenant_settings VALUES (1, ?, ?)", arguments: [settings.version, data])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw StorageError.staleVersion(kind: "tenant_settings", id: "settings", current: try load(db).version)
            }
            return
        }
        try db.execute(
            sql: "UPDATE tenant_settings SET version = ?, data = ? WHERE singleton = 1 AND version = ?",
            arguments: [settings.version, data, expectedVersion]
        )
        guard db.changesCount == 1 else {
            throw StorageError.staleVersion(kind: "tenant_settings", id: "settings", current: try load(db).version)
        }
    }

    /// The custom status `key`, if it is defined and not retired.
    static func customStatus(_ key: String, in settings: TenantSettings) -> LeadStatusDefinition? {
        settings.leadStatuses.first { $0.key == key && !$0.retired }
    }

    /// The custom status a lead takes when a transition gives it the built-in `meaning`:
    /// the tenant's default for that meaning, or none.
    static func defaultCustomStatus(for meaning: LeadStatus, in settings: TenantSettings) -> String {
        settings.leadStatuses.first { $0.meaning == meaning && $0.isDefault && !$0.retired }?.key ?? ""
    }
}

/// Teams: shared by the tenant, changed by its admins; archived ones can be restored.
extension Team: TenantRecord {
    static var table: String { "team" }
    static var recordKind: RecordKind { .team }
    static var idPrefix: String { "team" }
    static var fieldPath: String { "team" }
    static var ownership: RecordOwnership { .tenantWide }
    static let updatable: Set<String> = ["name", "manager_user_id", "archived"]
    static var creatable: Set<String> { ["name", "manager_user_id"] }

    var columns: [String: (any DatabaseValueConvertible)?] { ["archived": archived] }

    func validate(prefix: String, into validation: inout Validation) {
        validation.text(name, prefix + "name", maximumLength: 100)
        validation.reference(managerUserId, prefix + "manager_user_id")
    }

    /// An archived team can still be changed: restoring it is an update of `archived`.
    func requireWritable() throws {}
}
