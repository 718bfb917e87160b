import Foundation
import PostgresNIO
public import SFAMessages
public import SFAStorage

extension PostgresControlPlaneStore {
    public func insertTenant(_ row: TenantRow, placedOn node: String?, idempotency: IdempotentWrite?, audit: AuditEvent?) async throws -> [UInt8]? {
        try await transaction(notifying: true) { connection in
            if let idempotency, let replay = try await Self.replayOrRecord(connection, idempotency, logger: logger) { return replay }
            try await connection.query(
                """
                INSERT INTO tenant VALUES (\(row.id), \(row.version), \(row.name), \(row.status), \(row.statusReason), \(row.schemaVersion),
                    \(row.createdByUserID), \(row.createTimeMs), \(row.updateTimeMs))
                """,
                logger: logger
            )
            if let node {
                try await Self.savePlacement(
                    connection,
                    PlacementRow(tenantID: row.id, nodeID: node, epoch: 1, state: .active, updateTimeMs: row.createTimeMs),
                    logger: logger
                )
            }
            try await Self.enqueueAudit(connection, audit, tenantID: row.id, logger: logger)
            return nil
        }
    }

    public func tenant(_ id: String) async throws -> TenantRow? {
        try await rows("SELECT \(unescaped: PostgresRows.tenantColumns) FROM tenant WHERE id = \(id)").first.map(PostgresRows.tenant)
    }

    public func listTenants(page: PageRequest, statuses: [Int32], query: String) async throws -> [TenantRow] {
        var statement = DynamicQuery("SELECT \(PostgresRows.tenantColumns) FROM tenant WHERE true")
        if !statuses.isEmpty { statement.append(" AND status = ANY(?)", statuses) }
        if !query.isEmpty { statement.append(" AND name ILIKE ?", "%\(query)%") }
        return try await rows(DynamicQuery.filtered(statement, after: page.after, limit: page.size).query).map(PostgresRows.tenant)
    }

    public func liveTenantIDs() async throws -> [String] {
        try await rows("SELECT id FROM tenant WHERE status != \(TenantStatus.deleted.rawValue) ORDER BY id").map { try $0.decode(String.self) }
    }

    public func setTenantStatus(
        _ id: String,
        expectedVersion: Int64,
        status: TenantStatus,
        reason: String,
        audit: AuditRecorder<TenantRow>?
    ) async throws -> TenantRow {
        try await transaction(notifying: true) { connection in
            guard let before = try await Self.liveTenant(connection, id, logger: logger) else { throw StorageError.notFound(kind: "tenant", id: id) }
            var row = before
            try row.changeStatus(expectedVersion: expectedVersion, to: status, reason: reason)
            try await connection.query(
                """
                UPDATE tenant SET status = \(row.status), status_reason = \(row.statusReason), version = \(row.version),
                    update_time_ms = \(row.updateTimeMs) WHERE id = \(id)
                """,
                logger: logger
            )
            try await Self.enqueueAudit(connection, audit?(before, row), tenantID: id, logger: logger)
            return row
        }
    }

    /// The tenant unless deleted, locked for the transaction's change.
    private static func liveTenant(_ connection: PostgresConnection, _ id: String, logger: Logger) async throws -> TenantRow? {
        let row = try await connection.query(
            "SELECT \(unescaped: PostgresRows.tenantColumns) FROM tenant WHERE id = \(id) FOR UPDATE",
            logger: logger
        ).collect().first.map(PostgresRows.tenant)
        return row?.status == TenantStatus.deleted.rawValue ? nil : row
    }

    public func tenantLimits(_ id: String) async throws -> CallLimits {
        try CallLimits(stored: try await rows("SELECT limits FROM tenant_limits WHERE tenant_id = \(id)").first?.decode(Data.self))
    }

    public func setTenantLimits(_ id: String, _ limits: CallLimits, audit: AuditRecorder<CallLimits>?) async throws {
        try await transaction(notifying: true) { connection in
            guard try await Self.liveTenant(connection, id, logger: logger) != nil else { throw StorageError.notFound(kind: "tenant", id: id) }
            let stored = try await connection.query("SELECT limits FROM tenant_limits WHERE tenant_id = \(id)", logger: logger).collect()
            let before = try CallLimits(stored: try stored.first?.decode(Data.self))
            try await connection.query(
                """
                INSERT INTO tenant_limits VALUES (\(id), \(Data(limits.serializedBytes())))
                ON CONFLICT (tenant_id) DO UPDATE SET limits = EXCLUDED.limits
                """,
                logger: logger
            )
            try await Self.enqueueAudit(connection, audit?(before, limits), tenantID: id, logger: logger)
        }
    }

    public func setTenantSchemaVersion(_ id: String, _ version: Int32) async throws {
        try await transaction(notifying: true) { connection in
            try await connection.query("UPDATE tenant SET schema_version = \(version) WHERE id = \(id)", logger: logger)
        }
    }

    // MARK: Backups

    public func insertBackup(_ row: TenantBackupRow) async throws {
        try await client.query(
            """
            INSERT INTO tenant_backup VALUES (\(row.id), \(row.tenantID), \(row.fileName), \(row.sizeBytes), \(row.sha256),
                \(row.schemaVersion), \(row.createTimeMs))
            """,
            logger: logger
        )
    }

    public func backup(_ id: String) async throws -> TenantBackupRow? {
        try await rows("SELECT \(unescaped: PostgresRows.backupColumns) FROM tenant_backup WHERE id = \(id)").first.map(PostgresRows.backup)
    }

    public func deleteBackup(_ id: String, tenantID: String) async throws -> TenantBackupRow? {
        try await rows(
            "DELETE FROM tenant_backup WHERE id = \(id) AND tenant_id = \(tenantID) RETURNING \(unescaped: PostgresRows.backupColumns)"
        ).first.map(PostgresRows.backup)
    }

    public func backups(tenantID: String, page: PageRequest) async throws -> [TenantBackupRow] {
        let statement = DynamicQuery.filtered(
            DynamicQuery("SELECT \(PostgresRows.backupColumns) FROM tenant_backup WHERE tenant_id = ?", tenantID),
            after: page.after,
            limit: page.size
        )
        return try await rows(statement.query).map(PostgresRows.backup)
    }

    public func counts(tenantID: String) async throws -> (users: Int, activeKeys: Int) {
        let row = try await rows(
            """
            SELECT (SELECT count(*) FROM users WHERE tenant_id = \(tenantID)) AS users,
                   (SELECT count(*) FROM api_key WHERE tenant_id = \(tenantID) AND revoke_time_ms = 0) AS keys
            """
        ).first?.makeRandomAccess()
        return (Int(try row?.value("users", as: Int64.self) ?? 0), Int(try row?.value("keys", as: Int64.self) ?? 0))
    }

    // MARK: Audit outbox

    public func enqueueAudit(_ event: AuditEvent, tenantID: String) async throws {
        try await transaction(notifying: false) { connection in
            try await Self.enqueueAudit(connection, event, tenantID: tenantID, logger: logger)
        }
    }

    public func pendingAudit(tenantID: String) async throws -> [AuditEvent] {
        try await rows("SELECT event FROM audit_outbox WHERE tenant_id = \(tenantID) ORDER BY id").map {
            try AuditEvent(serializedBytes: Array(try $0.decode(Data.self)))
        }
    }

    public func removeAudit(ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await client.query("DELETE FROM audit_outbox WHERE id = ANY(\(ids))", logger: logger)
    }
}

extension DynamicQuery {
    /// `statement` continued with the keyset page: ids after `after`, in id order, at most `limit`.
    static func filtered(_ statement: DynamicQuery, after: String?, limit: Int) -> DynamicQuery {
        var statement = statement
        if let after { statement.append(" AND id > ?", after) }
        statement.append(" ORDER BY id LIMIT ?", limit)
        return statement
    }
}
