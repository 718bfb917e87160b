import Foundation
import PostgresNIO
public import SFAMessages
public import SFAStorage

extension PostgresControlPlaneStore {
    public func insertUser(_ row: UserRow, idempotency: IdempotentWrite?, audit: AuditEvent?) async throws -> [UInt8]? {
        do {
            return try await transaction(notifying: true) { connection in
                if let idempotency, let replay = try await Self.replayOrRecord(connection, idempotency, logger: logger) { return replay }
                try await connection.query(
                    """
                    INSERT INTO users VALUES (\(row.id), \(row.version), \(row.tenantID), \(row.displayName), \(row.email), \(row.role),
                        \(row.teamID), \(row.managerUserID), \(row.status), \(row.createdByUserID), \(row.createTimeMs), \(row.updateTimeMs))
                    """,
                    logger: logger
                )
                if let tenantID = row.tenantID { try await Self.enqueueAudit(connection, audit, tenantID: tenantID, logger: logger) }
                return nil
            }
        } catch where Self.isUniqueViolation(error) {
            throw StorageError.alreadyExists(kind: "user", field: "email")
        }
    }

    public func user(_ id: String) async throws -> UserRow? {
        try await rows("SELECT \(unescaped: PostgresRows.userColumns) FROM users WHERE id = \(id)").first.map(PostgresRows.user)
    }

    public func listUsers(
        tenantID: String,
        scope: UserScope,
        page: PageRequest,
        roles: [Int32],
        teamID: String,
        includeDeactivated: Bool,
        query: String
    ) async throws -> [UserRow] {
        var statement = DynamicQuery("SELECT \(PostgresRows.userColumns) FROM users WHERE tenant_id = ?", tenantID)
        statement.append(scope)
        if !roles.isEmpty { statement.append(" AND role = ANY(?)", roles) }
        if !teamID.isEmpty { statement.append(" AND team_id = ?", teamID) }
        if !includeDeactivated { statement.append(" AND status = ?", UserStatus.active.rawValue) }
        if !query.isEmpty { statement.append(" AND (display_name ILIKE ? OR email ILIKE ?)", "%\(query)%", "%\(query)%") }
        return try await rows(DynamicQuery.filtered(statement, after: page.after, limit: page.size).query).map(PostgresRows.user)
    }

    public func userIDs(tenantID: String, scope: UserScope) async throws -> [String] {
        var statement = DynamicQuery("SELECT id FROM users WHERE tenant_id = ?", tenantID)
        statement.append(scope)
        return try await rows(statement.query).map { try $0.decode(String.self) }
    }

    public func teamMemberIDs(tenantID: String, teamID: String) async throws -> [String] {
        try await rows("SELECT id FROM users WHERE tenant_id = \(tenantID) AND team_id = \(teamID)").map { try $0.decode(String.self) }
    }

    public func updateUser(
        _ id: String,
        tenantID: String,
        expectedVersion: Int64,
        audit: AuditRecorder<UserRow>?,
        change: @escaping @Sendable (inout UserRow) throws -> Void
    ) async throws -> UserRow {
        do {
            return try await transaction(notifying: true) { connection in
                let before = try await Self.currentUser(connection, id, tenantID: tenantID, expectedVersion: expectedVersion, logger: logger)
                var row = before
                try change(&row)
                row.stampChange()
                try await Self.storeUser(connection, row, logger: logger)
                try await Self.enqueueAudit(connection, audit?(before, row), tenantID: tenantID, logger: logger)
                return row
            }
        } catch where Self.isUniqueViolation(error) {
            throw StorageError.alreadyExists(kind: "user", field: "email")
        }
    }

    public func deactivateUser(_ id: String, tenantID: String, expectedVersion: Int64, audit: AuditRecorder<UserRow>?) async throws -> UserRow {
        try await transaction(notifying: true) { connection in
            let before = try await Self.currentUser(connection, id, tenantID: tenantID, expectedVersion: expectedVersion, logger: logger)
            var row = before
            row.status = UserStatus.deactivated.rawValue
            row.stampChange()
            try await Self.storeUser(connection, row, logger: logger)
            try await Self.enqueueAudit(connection, audit?(before, row), tenantID: tenantID, logger: logger)
            try await connection.query(
                "UPDATE api_key SET revoke_time_ms = \(row.updateTimeMs) WHERE user_id = \(id) AND revoke_time_ms = 0",
                logger: logger
            )
            return row
        }
    }

    /// The user of `tenantID` at `expectedVersion`, locked for the transaction's change.
    private static func currentUser(
        _ connection: PostgresConnection,
        _ id: String,
        tenantID: String,
        expectedVersion: Int64,
        logger: Logger
    ) async throws -> UserRow {
        let rows = try await connection.query(
            "SELECT \(unescaped: PostgresRows.userColumns) FROM users WHERE id = \(id) FOR UPDATE",
            logger: logger
        ).collect()
        guard let row = try rows.first.map(PostgresRows.user), row.tenantID == tenantID else {
            throw StorageError.notFound(kind: "user", id: id)
        }
        guard expectedVersion == row.version else { throw StorageError.staleVersion(kind: "user", id: id, current: row.version) }
        return row
    }

    private static func storeUser(_ connection: PostgresConnection, _ row: UserRow, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE users SET version = \(row.version), display_name = \(row.displayName), email = \(row.email), role = \(row.role),
                team_id = \(row.teamID), manager_user_id = \(row.managerUserID), status = \(row.status), update_time_ms = \(row.updateTimeMs)
            WHERE id = \(row.id)
            """,
            logger: logger
        )
    }

    public func hasOperator() async throws -> Bool {
        try await !rows("SELECT 1 FROM users WHERE role = \(Role.operator.rawValue) LIMIT 1").isEmpty
    }

    // MARK: API keys

    public func insertKey(_ row: APIKeyRow, audit: AuditEvent?) async throws {
        try await transaction(notifying: true) { connection in
            try await connection.query(
                """
                INSERT INTO api_key VALUES (\(row.id), \(row.tenantID), \(row.userID), \(row.role), \(row.displayName), \(row.keyPrefix),
                    \(row.secretHash), \(row.expireTimeMs), \(row.lastUsedTimeMs), \(row.revokeTimeMs), \(row.createdByUserID), \(row.createTimeMs))
                """,
                logger: logger
            )
            if let tenantID = row.tenantID { try await Self.enqueueAudit(connection, audit, tenantID: tenantID, logger: logger) }
        }
    }

    public func key(_ id: String) async throws -> APIKeyRow? {
        try await rows("SELECT \(unescaped: PostgresRows.keyColumns) FROM api_key WHERE id = \(id)").first.map(PostgresRows.key)
    }

    public func listKeys(tenantID: String?, userID: String, includeRevoked: Bool, page: PageRequest) async throws -> [APIKeyRow] {
        var statement = DynamicQuery("SELECT \(PostgresRows.keyColumns) FROM api_key WHERE ")
        if let tenantID { statement.append("tenant_id = ?", tenantID) } else { statement.append("tenant_id IS NULL") }
        if !userID.isEmpty { statement.append(" AND user_id = ?", userID) }
        if !includeRevoked { statement.append(" AND revoke_time_ms = 0") }
        return try await rows(DynamicQuery.filtered(statement, after: page.after, limit: page.size).query).map(PostgresRows.key)
    }

    public func revokeKey(_ id: String, tenantID: String?, audit: AuditRecorder<APIKeyRow>?) async throws -> APIKeyRow {
        try await transaction(notifying: true) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: PostgresRows.keyColumns) FROM api_key WHERE id = \(id) FOR UPDATE",
                logger: logger
            ).collect()
            guard var row = try rows.first.map(PostgresRows.key), row.tenantID == tenantID else {
                throw StorageError.notFound(kind: "api_key", id: id)
            }
            if row.revokeTimeMs == 0 {
                let before = row
                row.revokeTimeMs = ControlPlane.nowMs()
                try await connection.query("UPDATE api_key SET revoke_time_ms = \(row.revokeTimeMs) WHERE id = \(id)", logger: logger)
                if let tenantID { try await Self.enqueueAudit(connection, audit?(before, row), tenantID: tenantID, logger: logger) }
            }
            return row
        }
    }

    public func credential(keyID: String) async throws -> Credential? {
        try await rows(
            """
            SELECT k.id, k.tenant_id, k.user_id, k.role, k.display_name, k.key_prefix, k.secret_hash, k.expire_time_ms,
                   k.last_used_time_ms, k.revoke_time_ms, k.created_by_user_id, k.create_time_ms,
                   u.status AS user_status, u.team_id AS user_team_id, u.role AS user_role, creator.role AS creator_role,
                   t.status AS tenant_status, t.status_reason AS tenant_status_reason, l.limits AS tenant_limits
            FROM api_key k
            JOIN users u ON u.id = k.user_id
            LEFT JOIN users creator ON creator.id = k.created_by_user_id
            LEFT JOIN tenant t ON t.id = k.tenant_id
            LEFT JOIN tenant_limits l ON l.tenant_id = k.tenant_id
            WHERE k.id = \(keyID)
            """
        ).first.map(PostgresRows.credential)
    }

    /// The rows are locked in id order, and rows another transaction holds (a user's
    /// deactivation revoking its keys, another node's batch) are skipped: a last use is
    /// informational, and a batch must not deadlock a change of access.
    public func touchKeys(_ uses: [String: Int64]) async throws {
        guard !uses.isEmpty else { return }
        let uses = Array(uses)
        let (ids, times) = (uses.map(\.key), uses.map(\.value))
        try await client.query(
            """
            WITH used AS (SELECT * FROM unnest(\(ids)::text[], \(times)::bigint[]) AS used(id, time_ms)),
            locked AS (
                SELECT api_key.id, used.time_ms FROM api_key JOIN used ON used.id = api_key.id
                WHERE api_key.last_used_time_ms < used.time_ms ORDER BY api_key.id FOR UPDATE OF api_key SKIP LOCKED
            )
            UPDATE api_key SET last_used_time_ms = locked.time_ms FROM locked WHERE api_key.id = locked.id
            """,
            logger: logger
        )
    }
}

extension DynamicQuery {
    /// Appends the users `scope` reaches, as a condition on `users`.
    mutating func append(_ scope: UserScope) {
        switch scope {
        case .all: break
        case .team(let userID, let teamID) where teamID.isEmpty:
            append(" AND (id = ? OR manager_user_id = ?)", userID, userID)
        case .team(let userID, let teamID):
            append(" AND (id = ? OR manager_user_id = ? OR team_id = ?)", userID, userID, teamID)
        case .own(let userID):
            append(" AND id = ?", userID)
        }
    }
}
