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
        guard let data = try Data.fetchOne(db, sql: "SELECT data FROM tenant_settings WHERE singleton = 1") else { return defaults }
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
