import Foundation
public import GRDB
public import SFAMessages
import Metrics

/// The control plane of one node: `control.sqlite` in the data directory.
public final class SQLiteControlPlaneStore: ControlPlaneStore {
    /// The database; exposed for tests, not for business code. A pool: reads (a key's
    /// credential on its first call, a placement) run on reader connections and never
    /// wait for a write's sync, such as a batch of keys' last uses.
    public let database: DatabasePool
    private let writeDurations: Timer

    /// Opens (creating if needed) and migrates `control.sqlite` of `storage`.
    public init(storage: StorageConfiguration) throws {
        try DatabaseOpening.createDirectory(storage.dataDirectory)
        database = try DatabaseOpening.openPool(path: storage.controlPlanePath, storage: storage)
        try ControlPlaneSchema.migrator.migrate(database)
        writeDurations = StorageMetrics(factory: storage.metricsFactory).controlPlaneWrites
    }

    /// One node alone changes this file.
    public var isShared: Bool { false }

    /// Nothing to watch: every change is made here.
    public var unwatchedSince: ContinuousClock.Instant? { nil }

    /// Never needed: every change moves the generation as it commits.
    public var fallbackInterval: Duration { .seconds(3600) }

    /// Migrated when opened; migrating again finds nothing to do.
    public func migrate() async throws {
        try ControlPlaneSchema.migrator.migrate(database)
    }

    /// Nothing runs in the background: waits until cancelled.
    public func run(onAccessChange: @escaping @Sendable () -> Void) async throws {
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
    }

    /// Every write transaction: `BEGIN IMMEDIATE`, timed. A full disk is
    /// ``StorageError/controlPlaneFull`` (SQLite rolled the transaction back), not an
    /// error that maps to no status.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writeDurations.time { try await database.writeImmediate(updates) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw StorageError.controlPlaneFull
        }
    }

    /// Reads on a reader connection: what calls need to be admitted. A writer stuck on
    /// a full disk fails writes with STORAGE_FULL rather than making the node unready.
    public func checkAvailable() async throws {
        _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Tenants

    public func insertTenant(_ row: TenantRow, placedOn node: String?, idempotency: IdempotentWrite?, audit: AuditEvent?) async throws -> [UInt8]? {
        try await write { db in
            if let idempotency, let replay = try Idempotency.replayOrRecord(db, idempotency) { return replay }
            try row.insert(db)
            if let node {
                try PlacementRow(tenantID: row.id, nodeID: node, epoch: 1, state: .active, updateTimeMs: row.createTimeMs).insert(db)
            }
            try Self.enqueueAudit(db, audit, tenantID: row.id)
            return nil
        }
    }

    public func tenant(_ id: String) async throws -> TenantRow? {
        try await database.read { db in try TenantRow.fetchOne(db, key: id) }
    }

    public func listTenants(page: PageRequest, statuses: [Int32], query: String) async throws -> [TenantRow] {
        try await database.read { db in
            var request = TenantRow.order(Column("id")).limit(page.size)
            if let after = page.after { request = request.filter(Column("id") > after) }
            if !statuses.isEmpty { request = request.filter(statuses.contains(Column("status"))) }
            if !query.isEmpty { request = request.filter(Column("name").like("%\(query)%")) }
            return try request.fetchAll(db)
        }
    }

    public func liveTenantIDs() async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM tenant WHERE status != ? ORDER BY id", arguments: [TenantStatus.deleted.rawValue])
        }
    }

    public func setTenantStatus(
        _ id: String,
        expectedVersion: Int64,
        status: TenantStatus,
        reason: String,
        audit: AuditRecorder<TenantRow>?
    ) async throws -> TenantRow {
        try await write { db in
            guard var row = try TenantRow.fetchOne(db, key: id), row.status != TenantStatus.deleted.rawValue else {
                throw StorageError.notFound(kind: "tenant", id: id)
            }
            let before = row
            try row.changeStatus(expectedVersion: expectedVersion, to: status, reason: reason)
            try row.update(db)
            try Self.enqueueAudit(db, audit?(before, row), tenantID: id)
            return row
        }
    }

    public func tenantLimits(_ id: String) async throws -> CallLimits {
        try await database.read { db in try Self.storedLimits(db, tenantID: id) }
    }

    private static func storedLimits(_ db: Database, tenantID: String) throws -> CallLimits {
        try CallLimits(stored: Data.fetchOne(db, sql: "SELECT limits FROM tenant_limits WHERE tenant_id = ?", arguments: [tenantID]))
    }

    public func setTenantLimits(_ id: String, _ limits: CallLimits, audit: AuditRecorder<CallLimits>?) async throws {
        try await write { db in
            guard let row = try TenantRow.fetchOne(db, key: id), row.status != TenantStatus.deleted.rawValue else {
                throw StorageError.notFound(kind: "tenant", id: id)
            }
            let before = try Self.storedLimits(db, tenantID: id)
            try db.execute(
                sql: "INSERT OR REPLACE INTO tenant_limits (tenant_id, limits) VALUES (?, ?)",
                arguments: [id, Data(limits.serializedBytes())]
            )
            try Self.enqueueAudit(db, audit?(before, limits), tenantID: id)
        }
    }

    public func setTenantSchemaVersion(_ id: String, _ version: Int32) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE tenant SET schema_version = ? WHERE id = ?", arguments: [version, id])
        }
    }

    // MARK: Users

    public func insertUser(_ row: UserRow, idempotency: IdempotentWrite?, audit: AuditEvent?) async throws -> [UInt8]? {
        do {
            return try await write { db in
                if let idempotency, let replay = try Idempotency.replayOrRecord(db, idempotency) { return replay }
                try row.insert(db)
                if let tenantID = row.tenantID { try Self.enqueueAudit(db, audit, tenantID: tenantID) }
                return nil
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StorageError.alreadyExists(kind: "user", field: "email")
        }
    }

    public func user(_ id: String) async throws -> UserRow? {
        try await database.read { db in try UserRow.fetchOne(db, key: id) }
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
        try await database.read { db in
            var request = UserRow.filter(Column("tenant_id") == tenantID && scope.condition).order(Column("id")).limit(page.size)
            if let after = page.after { request = request.filter(Column("id") > after) }
            if !roles.isEmpty { request = request.filter(roles.contains(Column("role"))) }
            if !teamID.isEmpty { request = request.filter(Column("team_id") == teamID) }
            if !includeDeactivated { request = request.filter(Column("status") == UserStatus.active.rawValue) }
            if !query.isEmpty {
                request = request.filter(Column("display_name").like("%\(query)%") || Column("email").like("%\(query)%"))
            }
            return try request.fetchAll(db)
        }
    }

    public func userIDs(tenantID: String, scope: UserScope) async throws -> [String] {
        try await database.read { db in
            try UserRow.select(Column("id"), as: String.self).filter(Column("tenant_id") == tenantID && scope.condition).fetchAll(db)
        }
    }

    public func teamMemberIDs(tenantID: String, teamID: String) async throws -> [String] {
        try await database.read { db in
            try UserRow.select(Column("id"), as: String.self)
                .filter(Column("tenant_id") == tenantID && Column("team_id") == teamID).fetchAll(db)
        }
    }

    public func updateUser(
        _ id: String,
        tenantID: String,
        expectedVersion: Int64,
        audit: AuditRecorder<UserRow>?,
        change: @escaping @Sendable (inout UserRow) throws -> Void
    ) async throws -> UserRow {
        do {
            return try await write { db in
                let before = try Self.currentUser(db, id, tenantID: tenantID, expectedVersion: expectedVersion)
                var row = before
                try change(&row)
                row.stampChange()
                try row.update(db)
                try Self.enqueueAudit(db, audit?(before, row), tenantID: tenantID)
                return row
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StorageError.alreadyExists(kind: "user", field: "email")
        }
    }

    public func deactivateUser(_ id: String, tenantID: String, expectedVersion: Int64, audit: AuditRecorder<UserRow>?) async throws -> UserRow {
        try await write { db in
            let before = try Self.currentUser(db, id, tenantID: tenantID, expectedVersion: expectedVersion)
            var row = before
            row.status = UserStatus.deactivated.rawValue
            row.stampChange()
            try row.update(db)
            try Self.enqueueAudit(db, audit?(before, row), tenantID: tenantID)
            try db.execute(
                sql: "UPDATE api_key SET revoke_time_ms = ? WHERE user_id = ? AND revoke_time_ms = 0",
                arguments: [row.updateTimeMs, id]
            )
            return row
        }
    }

    /// The user of `tenantID` at `expectedVersion`, in the write transaction.
    private static func currentUser(_ db: Database, _ id: String, tenantID: String, expectedVersion: Int64) throws -> UserRow {
        guard let row = try UserRow.fetchOne(db, key: id), row.tenantID == tenantID else {
            throw StorageError.notFound(kind: "user", id: id)
        }
        guard expectedVersion == row.version else { throw StorageError.staleVersion(kind: "user", id: id, current: row.version) }
        return row
    }

    public func hasOperator() async throws -> Bool {
        try await database.read { db in try UserRow.filter(Column("role") == Role.operator.rawValue).fetchCount(db) > 0 }
    }

    // MARK: API keys

    public func insertKey(_ row: APIKeyRow, audit: AuditEvent?) async throws {
        try await write { db in
            try row.insert(db)
            if let tenantID = row.tenantID { try Self.enqueueAudit(db, audit, tenantID: tenantID) }
        }
    }

    public func key(_ id: String) async throws -> APIKeyRow? {
        try await database.read { db in try APIKeyRow.fetchOne(db, key: id) }
    }

    public func listKeys(tenantID: String?, userID: String, includeRevoked: Bool, page: PageRequest) async throws -> [APIKeyRow] {
        try await database.read { db in
            var request = APIKeyRow.filter(Column("tenant_id") == tenantID).order(Column("id")).limit(page.size)
            if let after = page.after { request = request.filter(Column("id") > after) }
            if !userID.isEmpty { request = request.filter(Column("user_id") == userID) }
            if !includeRevoked { request = request.filter(Column("revoke_time_ms") == 0) }
            return try request.fetchAll(db)
        }
    }

    public func revokeKey(_ id: String, tenantID: String?, audit: AuditRecorder<APIKeyRow>?) async throws -> APIKeyRow {
        try await write { db in
            guard var row = try APIKeyRow.fetchOne(db, key: id), row.tenantID == tenantID else {
                throw StorageError.notFound(kind: "api_key", id: id)
            }
            if row.revokeTimeMs == 0 {
                let before = row
                row.revokeTimeMs = ControlPlane.nowMs()
                try row.update(db)
                if let tenantID { try Self.enqueueAudit(db, audit?(before, row), tenantID: tenantID) }
            }
            return row
        }
    }

    /// Through each connection's prepared statement: every key seen for the first time
    /// (after a restart, or a tenant waking up) reads here, and preparing the join
    /// anew, with GRDB's authorizer walking its columns, cost more than running it.
    public func credential(keyID: String) async throws -> Credential? {
        try await database.read { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT api_key.*, user.status AS user_status, user.team_id AS user_team_id, user.role AS user_role,
                           creator.role AS creator_role,
                           tenant.status AS tenant_status, tenant.status_reason AS tenant_status_reason,
                           tenant_limits.limits AS tenant_limits
                    FROM api_key
                    JOIN user ON user.id = api_key.user_id
                    LEFT JOIN user AS creator ON creator.id = api_key.created_by_user_id
                    LEFT JOIN tenant ON tenant.id = api_key.tenant_id
                    LEFT JOIN tenant_limits ON tenant_limits.tenant_id = api_key.tenant_id
                    WHERE api_key.id = ?
                    """
            )
            return try Credential.fetchOne(statement, arguments: [keyID])
        }
    }

    public func touchKeys(_ uses: [String: Int64]) async throws {
        guard !uses.isEmpty else { return }
        try await write { db in
            let update = try db.cachedStatement(sql: "UPDATE api_key SET last_used_time_ms = ?1 WHERE id = ?2 AND last_used_time_ms < ?1")
            for (id, timeMs) in uses { try update.execute(arguments: [timeMs, id]) }
        }
    }
}
