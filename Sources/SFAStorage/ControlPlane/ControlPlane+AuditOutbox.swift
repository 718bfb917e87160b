import Foundation
import GRDB
public import SFAMessages

extension ControlPlane {
    /// Keeps an audit event that could not reach its tenant's log (the tenant database
    /// was busy or unavailable), to be delivered later.
    public func enqueueAudit(_ event: AuditEvent, tenantID: String) async throws {
        try await database.writeImmediate { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO audit_outbox VALUES (?, ?, ?)",
                arguments: [event.id, tenantID, Data(event.serializedBytes())]
            )
        }
    }

    /// Events waiting for a tenant's log, oldest first.
    public func pendingAudit(tenantID: String) async throws -> [AuditEvent] {
        try await database.read { db in
            try Data.fetchAll(db, sql: "SELECT event FROM audit_outbox WHERE tenant_id = ? ORDER BY id", arguments: [tenantID])
                .map { try AuditEvent(serializedBytes: Array($0)) }
        }
    }

    public func removeAudit(ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await database.writeImmediate { db in
            try db.execute(sql: "DELETE FROM audit_outbox WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(ids))
        }
    }
}
