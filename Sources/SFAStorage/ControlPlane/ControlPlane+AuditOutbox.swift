import Foundation
public import GRDB
public import SFAMessages

/// Builds the audit event of a control-plane change from the row before and after
/// it; runs inside the change's transaction, and nil records nothing.
public typealias AuditRecorder<Row> = @Sendable (_ before: Row, _ after: Row) -> AuditEvent?

/// Audit events of control-plane changes (users, keys, tenant status) belong in the
/// tenant's own log, another file. They are written to this outbox in the change's
/// transaction, so that none is lost, and then delivered to the tenant's log.
extension ControlPlane {
    /// Adds `event` (already stamped with its id and time) to the outbox; call it in
    /// the change's transaction.
    public static func enqueueAudit(_ db: Database, _ event: AuditEvent?, tenantID: String) throws {
        guard let event else { return }
        try db.execute(
            sql: "INSERT OR IGNORE INTO audit_outbox VALUES (?, ?, ?)",
            arguments: [event.id, tenantID, Data(event.serializedBytes())]
        )
    }

    /// Adds `event` to the outbox in a transaction of its own.
    public func enqueueAudit(_ event: AuditEvent, tenantID: String) async throws {
        try await write { db in try Self.enqueueAudit(db, event, tenantID: tenantID) }
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
        try await write { db in
            try db.execute(sql: "DELETE FROM audit_outbox WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(ids))
        }
    }
}
