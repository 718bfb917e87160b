import Foundation
import GRDB
public import SFAMessages

extension SQLiteControlPlaneStore {
    public func insertBackup(_ row: TenantBackupRow) async throws {
        try await write { db in try row.insert(db) }
    }

    public func backup(_ id: String) async throws -> TenantBackupRow? {
        try await database.read { db in try TenantBackupRow.fetchOne(db, key: id) }
    }

    public func deleteBackup(_ id: String, tenantID: String) async throws -> TenantBackupRow? {
        try await write { db -> TenantBackupRow? in
            guard let row = try TenantBackupRow.fetchOne(db, key: id), row.tenantID == tenantID else { return nil }
            try row.delete(db)
            return row
        }
    }

    public func backups(tenantID: String, page: PageRequest) async throws -> [TenantBackupRow] {
        try await database.read { db in
            var request = TenantBackupRow.filter(Column("tenant_id") == tenantID).order(Column("id")).limit(page.size)
            if let after = page.after { request = request.filter(Column("id") > after) }
            return try request.fetchAll(db)
        }
    }

    public func counts(tenantID: String) async throws -> (users: Int, activeKeys: Int) {
        try await database.read { db in
            let users = try UserRow.filter(Column("tenant_id") == tenantID).fetchCount(db)
            let keys = try APIKeyRow.filter(Column("tenant_id") == tenantID && Column("revoke_time_ms") == 0).fetchCount(db)
            return (users, keys)
        }
    }

    // MARK: Audit outbox

    /// Adds `event` (already stamped with its id and time) to the outbox, in the
    /// change's transaction.
    static func enqueueAudit(_ db: Database, _ event: AuditEvent?, tenantID: String) throws {
        guard let event else { return }
        try db.execute(
            sql: "INSERT OR IGNORE INTO audit_outbox VALUES (?, ?, ?)",
            arguments: [event.id, tenantID, Data(event.serializedBytes())]
        )
    }

    public func enqueueAudit(_ event: AuditEvent, tenantID: String) async throws {
        try await write { db in try Self.enqueueAudit(db, event, tenantID: tenantID) }
    }

    public func pendingAudit(tenantID: String) async throws -> [AuditEvent] {
        try await database.read { db in
            try Data.fetchAll(db, sql: "SELECT event FROM audit_outbox WHERE tenant_id = ? ORDER BY id", arguments: [tenantID])
                .map { try AuditEvent(serializedBytes: Array($0)) }
        }
    }

    public func removeAudit(ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await write { db in
            try db.execute(sql: "DELETE FROM audit_outbox WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(ids))
        }
    }
}
