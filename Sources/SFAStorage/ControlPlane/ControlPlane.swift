import Foundation
public import GRDB
public import SFAMessages
import Metrics
import Synchronization

/// The control plane: `control.sqlite`, holding tenants, users and API keys, and the
/// schema version of each tenant database. Business data never lives here.
public final class ControlPlane: Sendable {
    /// The database; exposed for stats and tests, not for business code. Writes to
    /// the tenant, user and api_key tables go through ``writeAccess(_:)``.
    public let database: DatabaseQueue
    /// Counts committed changes to what authenticating a key reads; see ``accessGeneration``.
    private let accessChanges = Atomic<UInt64>(0)
    /// The users each scope reaches (for a manager: itself, its reports, its team),
    /// valid while the access generation stands, so a team-scoped call reads nothing
    /// from the control plane for its scope, and a change of team or manager applies
    /// on the next call.
    private let teamScopes = GenerationCache<ScopeKey, [String]>(capacity: 10_000)
    private let writeDurations: Timer

    /// Opens (creating if needed) and migrates the control plane of `storage`.
    public init(storage: StorageConfiguration) throws {
        try DatabaseOpening.createDirectory(storage.dataDirectory)
        database = try DatabaseOpening.open(path: storage.controlPlanePath, storage: storage)
        try ControlPlaneSchema.migrator.migrate(database)
        writeDurations = StorageMetrics(factory: storage.metricsFactory).controlPlaneWrites
    }

    /// Every write transaction of the control plane: `BEGIN IMMEDIATE`, timed.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writeDurations.time { try await database.writeImmediate(updates) }
    }

    /// Reads one row, to prove the file answers (readiness checks).
    public func checkAvailable() async throws {
        _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Access generation

    /// Changes whenever a change to the tenant, tenant_limits, user or api_key tables has committed:
    /// everything ``credential(keyID:)`` reads, so everything that decides whether a key
    /// is admitted and as whom. A copy of a credential read after loading generation G
    /// is current as long as the generation is still G; a change racing the read moves
    /// the generation on, so a stale copy is never taken for current. Recording a key's
    /// last use (``touchKey(_:at:)``) does not change it.
    public var accessGeneration: UInt64 { accessChanges.load(ordering: .acquiring) }

    /// Runs `updates` in one `BEGIN IMMEDIATE` transaction, then moves
    /// ``accessGeneration`` on, before returning: every write to the tenant, user or
    /// api_key tables goes through here, so that a change is seen by the very next
    /// call that authenticates. The generation also moves when the transaction fails
    /// (nothing changed; a copy of a credential is merely read again).
    public func writeAccess<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        defer { accessChanges.wrappingAdd(1, ordering: .sequentiallyConsistent) }
        return try await write(updates)
    }

    // MARK: Tenants

    public func createTenant(name: String, createdBy: String, schemaVersion: Int32) async throws -> TenantRow {
        let row = TenantRow.make(name: name, createdBy: createdBy, schemaVersion: schemaVersion)
        try await writeAccess { db in try row.insert(db) }
        return row
    }

    /// The tenant, deleted ones included.
    public func tenant(_ id: String) async throws -> TenantRow {
        guard let row = try await database.read({ db in try TenantRow.fetchOne(db, key: id) }) else {
            throw StorageError.notFound(kind: "tenant", id: id)
        }
        return row
    }

    public func listTenants(
        page: PageRequest,
        statuses: [Int32],
        query: String
    ) async throws -> [TenantRow] {
        try await database.read { db in
            var request = TenantRow.order(Column("id")).limit(page.size)
            if let after = page.after { request = request.filter(Column("id") > after) }
            if !statuses.isEmpty { request = request.filter(statuses.contains(Column("status"))) }
            if !query.isEmpty { request = request.filter(Column("name").like("%\(query)%")) }
            return try request.fetchAll(db)
        }
    }

    /// Ids of every tenant that is not deleted.
    public func liveTenantIDs() async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT id FROM tenant WHERE status != ? ORDER BY id",
                arguments: [TenantStatus.deleted.rawValue]
            )
        }
    }

    /// Changes a tenant's status if `expectedVersion` is current.
    public func setTenantStatus(
        _ id: String,
        expectedVersion: Int64,
        status: TenantStatus,
        reason: String,
        audit: AuditRecorder<TenantRow>? = nil
    ) async throws -> TenantRow {
        try await writeAccess { db in
            guard var row = try TenantRow.fetchOne(db, key: id), row.status != TenantStatus.deleted.rawValue else {
                throw StorageError.notFound(kind: "tenant", id: id)
            }
            if expectedVersion != row.version {
                throw StorageError.staleVersion(kind: "tenant", id: id, current: row.version)
            }
            let before = row
            row.status = status.rawValue
            row.statusReason = reason
            row.version += 1
            row.updateTimeMs = Self.nowMs()
            try row.update(db)
            try Self.enqueueAudit(db, audit?(before, row), tenantID: id)
            return row
        }
    }

    /// The tenant's call limit overrides; all 0 when it has none.
    public func tenantLimits(_ id: String) async throws -> CallLimits {
        try await database.read { db in try Self.storedLimits(db, tenantID: id) }
    }

    private static func storedLimits(_ db: Database, tenantID: String) throws -> CallLimits {
        try CallLimits(stored: Data.fetchOne(db, sql: "SELECT limits FROM tenant_limits WHERE tenant_id = ?", arguments: [tenantID]))
    }

    /// Replaces the call limit overrides of a tenant that is not deleted; they apply
    /// from the next call of its keys (the change moves the access generation).
    public func setTenantLimits(_ id: String, _ limits: CallLimits, audit: AuditRecorder<CallLimits>? = nil) async throws {
        try await writeAccess { db in
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
        try await writeAccess { db in
            try db.execute(sql: "UPDATE tenant SET schema_version = ? WHERE id = ?", arguments: [version, id])
        }
    }

    // MARK: Users

    /// Inserts a user. - Throws: `alreadyExists` when the email is taken in the tenant.
    public func createUser(_ row: UserRow) async throws {
        do {
            try await writeAccess { db in try row.insert(db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StorageError.alreadyExists(kind: "user", field: "email")
        }
    }

    /// The user, only if it belongs to `tenantID` (nil: an operator).
    public func user(_ id: String, tenantID: String?) async throws -> UserRow {
        let row = try await database.read { db in try UserRow.fetchOne(db, key: id) }
        guard let row, row.tenantID == tenantID else { throw StorageError.notFound(kind: "user", id: id) }
        return row
    }

    /// Users of a tenant within `scope`, filtered; the scope is part of the query.
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

    /// Ids of every user of a tenant within `scope` (deactivated ones too, as they may
    /// still own records).
    public func userIDs(tenantID: String, scope: UserScope) async throws -> [String] {
        let generation = accessGeneration
        let key = ScopeKey(tenantID: tenantID, scope: scope)
        if let cached = teamScopes.value(key, generation: generation) { return cached }
        let ids = try await database.read { db in
            let request = UserRow.select(Column("id"), as: String.self).filter(Column("tenant_id") == tenantID && scope.condition)
            return try request.fetchAll(db)
        }
        teamScopes.store(ids, for: key, generation: generation)
        return ids
    }

    /// A scope within one tenant, as the scope cache keys it.
    private struct ScopeKey: Hashable, Sendable {
        var tenantID: String
        var scope: UserScope
    }

    /// Ids of the users of a team of a tenant.
    public func teamMemberIDs(tenantID: String, teamID: String) async throws -> [String] {
        try await database.read { db in
            try UserRow.select(Column("id"), as: String.self)
                .filter(Column("tenant_id") == tenantID && Column("team_id") == teamID).fetchAll(db)
        }
    }

    /// Replaces a user if `expectedVersion` is current; returns the stored row.
    public func updateUser(
        _ id: String,
        tenantID: String,
        expectedVersion: Int64,
        audit: AuditRecorder<UserRow>? = nil,
        change: @escaping @Sendable (inout UserRow) throws -> Void
    ) async throws -> UserRow {
        do {
            return try await writeAccess { db in
                guard var row = try UserRow.fetchOne(db, key: id), row.tenantID == tenantID else {
                    throw StorageError.notFound(kind: "user", id: id)
                }
                guard expectedVersion == row.version else {
                    throw StorageError.staleVersion(kind: "user", id: id, current: row.version)
                }
                let before = row
                try change(&row)
                row.version += 1
                row.updateTimeMs = Self.nowMs()
                try row.update(db)
                try Self.enqueueAudit(db, audit?(before, row), tenantID: tenantID)
                return row
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StorageError.alreadyExists(kind: "user", field: "email")
        }
    }

    /// Whether any operator exists (false on a new data directory).
    public func hasOperator() async throws -> Bool {
        try await database.read { db in
            try UserRow.filter(Column("role") == Role.operator.rawValue).fetchCount(db) > 0
        }
    }

    // MARK: API keys

    public func insertKey(_ row: APIKeyRow, audit: AuditEvent? = nil) async throws {
        try await writeAccess { db in
            try row.insert(db)
            if let tenantID = row.tenantID { try Self.enqueueAudit(db, audit, tenantID: tenantID) }
        }
    }

    /// The key with `id`, whatever its state (the caller checks expiry and revocation).
    public func key(_ id: String) async throws -> APIKeyRow? {
        try await database.read { db in try APIKeyRow.fetchOne(db, key: id) }
    }

    public func listKeys(
        tenantID: String?,
        userID: String,
        includeRevoked: Bool,
        page: PageRequest
    ) async throws -> [APIKeyRow] {
        try await database.read { db in
            var request = APIKeyRow.filter(Column("tenant_id") == tenantID).order(Column("id")).limit(page.size)
            if let after = page.after { request = request.filter(Column("id") > after) }
            if !userID.isEmpty { request = request.filter(Column("user_id") == userID) }
            if !includeRevoked { request = request.filter(Column("revoke_time_ms") == 0) }
            return try request.fetchAll(db)
        }
    }

    /// Revokes a key of `tenantID`; revoking twice is not an error (the first time stays).
    public func revokeKey(_ id: String, tenantID: String?, audit: AuditRecorder<APIKeyRow>? = nil) async throws -> APIKeyRow {
        try await writeAccess { db in
            guard var row = try APIKeyRow.fetchOne(db, key: id), row.tenantID == tenantID else {
                throw StorageError.notFound(kind: "api_key", id: id)
            }
            if row.revokeTimeMs == 0 {
                let before = row
                row.revokeTimeMs = Self.nowMs()
                try row.update(db)
                if let tenantID { try Self.enqueueAudit(db, audit?(before, row), tenantID: tenantID) }
            }
            return row
        }
    }

    /// A key with the states of its user and tenant, in one read: what authentication needs.
    public func credential(keyID: String) async throws -> Credential? {
        try await database.read { db in
            try Credential.fetchOne(
                db,
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
                    """,
                arguments: [keyID]
            )
        }
    }

    /// Deactivates a user and revokes its live keys, in one transaction.
    public func deactivateUser(
        _ id: String,
        tenantID: String,
        expectedVersion: Int64,
        audit: AuditRecorder<UserRow>? = nil
    ) async throws -> UserRow {
        try await writeAccess { db in
            guard var row = try UserRow.fetchOne(db, key: id), row.tenantID == tenantID else {
                throw StorageError.notFound(kind: "user", id: id)
            }
            guard expectedVersion == row.version else {
                throw StorageError.staleVersion(kind: "user", id: id, current: row.version)
            }
            let now = Self.nowMs()
            let before = row
            row.status = UserStatus.deactivated.rawValue
            row.version += 1
            row.updateTimeMs = now
            try row.update(db)
            try Self.enqueueAudit(db, audit?(before, row), tenantID: tenantID)
            try db.execute(
                sql: "UPDATE api_key SET revoke_time_ms = ? WHERE user_id = ? AND revoke_time_ms = 0",
                arguments: [now, id]
            )
            return row
        }
    }

    /// Records a key's last use. Not a change of access: admitting a key never depends
    /// on it, and it is written once a minute per key in use, so it leaves
    /// ``accessGeneration`` alone.
    public func touchKey(_ id: String, at timeMs: Int64) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE api_key SET last_used_time_ms = ? WHERE id = ?", arguments: [timeMs, id])
        }
    }
}
