import Foundation
public import SFAMessages
import Synchronization

/// The control plane: tenants, users, API keys, backups, the audit outbox and the
/// placement directory, kept by a ``ControlPlaneStore`` (`control.sqlite` on one
/// node, PostgreSQL shared by several). Business data never lives here.
///
/// What does not depend on the backend lives here: the access generation, which
/// every committed change to what authenticating a key or routing a tenant reads
/// moves on (changes made here at once; changes made by other nodes when the store
/// reports them), and the caches it guards.
public final class ControlPlane: Sendable {
    /// Where the tables are.
    public let store: any ControlPlaneStore
    /// Counts committed changes to what authenticating a key reads; see ``accessGeneration``.
    private let accessChanges = Atomic<UInt64>(0)
    /// The users each scope reaches (for a manager: itself, its reports, its team),
    /// valid while the access generation stands, so a team-scoped call reads nothing
    /// from the control plane for its scope, and a change of team or manager applies
    /// on the next call.
    private let teamScopes = GenerationCache<ScopeKey, [String]>(capacity: 10_000)

    /// The control plane of one node: `control.sqlite` of `storage`, created and
    /// migrated if needed.
    public convenience init(storage: StorageConfiguration) throws {
        self.init(store: try SQLiteControlPlaneStore(storage: storage))
    }

    /// A control plane on `store`; call ``migrate()`` (with ``run()`` going, for a
    /// store that needs it) before using it.
    public init(store: any ControlPlaneStore) {
        self.store = store
    }

    /// Creates or migrates the store's tables.
    public func migrate() async throws {
        try await store.migrate()
    }

    /// Runs the store's connections and change notifications until cancelled; every
    /// change another node reports moves the access generation on.
    public func run() async throws {
        do {
            try await store.run { [self] in accessChanges.wrappingAdd(1, ordering: .sequentiallyConsistent) }
        } catch {
            if !Task.isCancelled { runEnded.withLock { $0 = $0 ?? .now } }
            throw error
        }
    }

    /// When ``run()`` ended other than by cancellation: nothing watches any more.
    private let runEnded = Mutex<ContinuousClock.Instant?>(nil)

    /// Why this node may act on changes it was not told of (readiness): nil while the
    /// store watches other nodes' changes, or has not for less than its fallback
    /// interval (caches are dropped at that interval whatever happens, so a lost
    /// notification costs no more than that).
    public var watchProblem: String? {
        guard store.isShared, let since = runEnded.withLock({ $0 }) ?? store.unwatchedSince else { return nil }
        let down = ContinuousClock.now - since
        guard down > store.fallbackInterval else { return nil }
        return "control plane changes unwatched for \(down.components.seconds) s (more than the \(store.fallbackInterval) fallback interval)"
    }

    /// Proves the store answers (readiness checks).
    public func checkAvailable() async throws {
        try await store.checkAvailable()
    }

    public static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Access generation

    /// Changes whenever a change to tenants, their limits and placements, users or
    /// keys has committed: everything ``credential(keyID:)`` and ``placement(_:)``
    /// read, so everything that decides whether a key is admitted, as whom, and
    /// where its tenant is served. A copy read after loading generation G is current
    /// as long as the generation is still G; a change racing the read moves the
    /// generation on, so a stale copy is never taken for current. With a shared
    /// store, other nodes' changes move it when they are reported (PostgreSQL
    /// `NOTIFY`, with a bounded fallback interval: docs/scaling.md). Recording a key's
    /// last use (``touchKeys(_:)``) does not change it.
    public var accessGeneration: UInt64 { accessChanges.load(ordering: .acquiring) }

    /// Runs a change of access, then moves ``accessGeneration`` on before returning, so
    /// that it is seen by the very next call that authenticates. The generation also
    /// moves when the change fails (nothing changed; a copy is merely read again).
    private func changingAccess<T: Sendable>(_ change: (any ControlPlaneStore) async throws -> T) async throws -> T {
        defer { accessChanges.wrappingAdd(1, ordering: .sequentiallyConsistent) }
        return try await change(store)
    }

    // MARK: Tenants

    /// A new active tenant, placed on `node` when the nodes share a directory.
    public func createTenant(name: String, createdBy: String, schemaVersion: Int32, placedOn node: String? = nil) async throws -> TenantRow {
        let row = TenantRow.make(name: name, createdBy: createdBy, schemaVersion: schemaVersion)
        _ = try await insertTenant(row, placedOn: node, idempotency: nil, audit: nil)
        return row
    }

    /// Inserts a tenant with its idempotency record and audit event, in one transaction.
    /// - Returns: the response stored by an earlier call with the same key, or nil.
    public func insertTenant(_ row: TenantRow, placedOn node: String?, idempotency: IdempotentWrite?, audit: AuditEvent?) async throws -> [UInt8]? {
        try await changingAccess { try await $0.insertTenant(row, placedOn: node, idempotency: idempotency, audit: audit) }
    }

    /// The tenant, deleted ones included.
    public func tenant(_ id: String) async throws -> TenantRow {
        guard let row = try await store.tenant(id) else { throw StorageError.notFound(kind: "tenant", id: id) }
        return row
    }

    public func listTenants(page: PageRequest, statuses: [Int32], query: String) async throws -> [TenantRow] {
        try await store.listTenants(page: page, statuses: statuses, query: query)
    }

    /// Ids of every tenant that is not deleted.
    public func liveTenantIDs() async throws -> [String] {
        try await store.liveTenantIDs()
    }

    /// Changes a tenant's status if `expectedVersion` is current.
    public func setTenantStatus(
        _ id: String,
        expectedVersion: Int64,
        status: TenantStatus,
        reason: String,
        audit: AuditRecorder<TenantRow>? = nil
    ) async throws -> TenantRow {
        try await changingAccess { try await $0.setTenantStatus(id, expectedVersion: expectedVersion, status: status, reason: reason, audit: audit) }
    }

    /// The tenant's call limit overrides; all 0 when it has none.
    public func tenantLimits(_ id: String) async throws -> CallLimits {
        try await store.tenantLimits(id)
    }

    /// Replaces the call limit overrides of a tenant that is not deleted; they apply
    /// from the next call of its keys (the change moves the access generation).
    public func setTenantLimits(_ id: String, _ limits: CallLimits, audit: AuditRecorder<CallLimits>? = nil) async throws {
        try await changingAccess { try await $0.setTenantLimits(id, limits, audit: audit) }
    }

    public func setTenantSchemaVersion(_ id: String, _ version: Int32) async throws {
        try await changingAccess { try await $0.setTenantSchemaVersion(id, version) }
    }

    // MARK: Users

    /// Inserts a user. - Throws: `alreadyExists` when the email is taken in the tenant.
    public func createUser(_ row: UserRow) async throws {
        _ = try await insertUser(row, idempotency: nil, audit: nil)
    }

    /// Inserts a user with its idempotency record and audit event, in one transaction.
    /// - Returns: the response stored by an earlier call with the same key, or nil.
    public func insertUser(_ row: UserRow, idempotency: IdempotentWrite?, audit: AuditEvent?) async throws -> [UInt8]? {
        try await changingAccess { try await $0.insertUser(row, idempotency: idempotency, audit: audit) }
    }

    /// The user, only if it belongs to `tenantID` (nil: an operator).
    public func user(_ id: String, tenantID: String?) async throws -> UserRow {
        guard let row = try await store.user(id), row.tenantID == tenantID else { throw StorageError.notFound(kind: "user", id: id) }
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
        try await store.listUsers(
            tenantID: tenantID,
            scope: scope,
            page: page,
            roles: roles,
            teamID: teamID,
            includeDeactivated: includeDeactivated,
            query: query
        )
    }

    /// Ids of every user of a tenant within `scope` (deactivated ones too, as they may
    /// still own records).
    public func userIDs(tenantID: String, scope: UserScope) async throws -> [String] {
        let generation = accessGeneration
        let key = ScopeKey(tenantID: tenantID, scope: scope)
        if let cached = teamScopes.value(key, generation: generation) { return cached }
        let ids = try await store.userIDs(tenantID: tenantID, scope: scope)
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
        try await store.teamMemberIDs(tenantID: tenantID, teamID: teamID)
    }

    /// Replaces a user if `expectedVersion` is current; returns the stored row.
    public func updateUser(
        _ id: String,
        tenantID: String,
        expectedVersion: Int64,
        audit: AuditRecorder<UserRow>? = nil,
        change: @escaping @Sendable (inout UserRow) throws -> Void
    ) async throws -> UserRow {
        try await changingAccess { try await $0.updateUser(id, tenantID: tenantID, expectedVersion: expectedVersion, audit: audit, change: change) }
    }

    /// Whether any operator exists (false on a new data directory).
    public func hasOperator() async throws -> Bool {
        try await store.hasOperator()
    }

    /// Deactivates a user and revokes its live keys, in one transaction.
    public func deactivateUser(
        _ id: String,
        tenantID: String,
        expectedVersion: Int64,
        audit: AuditRecorder<UserRow>? = nil
    ) async throws -> UserRow {
        try await changingAccess { try await $0.deactivateUser(id, tenantID: tenantID, expectedVersion: expectedVersion, audit: audit) }
    }

    // MARK: API keys

    public func insertKey(_ row: APIKeyRow, audit: AuditEvent? = nil) async throws {
        try await changingAccess { try await $0.insertKey(row, audit: audit) }
    }

    /// The key with `id`, whatever its state (the caller checks expiry and revocation).
    public func key(_ id: String) async throws -> APIKeyRow? {
        try await store.key(id)
    }

    public func listKeys(tenantID: String?, userID: String, includeRevoked: Bool, page: PageRequest) async throws -> [APIKeyRow] {
        try await store.listKeys(tenantID: tenantID, userID: userID, includeRevoked: includeRevoked, page: page)
    }

    /// Revokes a key of `tenantID`; revoking twice is not an error (the first time stays).
    public func revokeKey(_ id: String, tenantID: String?, audit: AuditRecorder<APIKeyRow>? = nil) async throws -> APIKeyRow {
        try await changingAccess { try await $0.revokeKey(id, tenantID: tenantID, audit: audit) }
    }

    /// A key with the states of its user and tenant, in one read: what authentication needs.
    public func credential(keyID: String) async throws -> Credential? {
        try await store.credential(keyID: keyID)
    }

    /// Records keys' last uses (key id → time) in one transaction; a use older than the
    /// one recorded is passed over. Not a change of access: admitting a key never
    /// depends on it, and it is written once a minute per key in use, so it leaves
    /// ``accessGeneration`` alone.
    public func touchKeys(_ uses: [String: Int64]) async throws {
        try await store.touchKeys(uses)
    }

    // MARK: Backups

    public func insertBackup(_ row: TenantBackupRow) async throws {
        try await store.insertBackup(row)
    }

    /// The backup, only if it belongs to `tenantID`.
    public func backup(_ id: String, tenantID: String) async throws -> TenantBackupRow {
        guard let row = try await store.backup(id), row.tenantID == tenantID else { throw StorageError.notFound(kind: "backup", id: id) }
        return row
    }

    /// Removes the backup's record, only if it belongs to `tenantID`.
    /// - Returns: the row as it was.
    public func deleteBackup(_ id: String, tenantID: String) async throws -> TenantBackupRow {
        guard let row = try await store.deleteBackup(id, tenantID: tenantID) else { throw StorageError.notFound(kind: "backup", id: id) }
        return row
    }

    public func backups(tenantID: String, page: PageRequest) async throws -> [TenantBackupRow] {
        try await store.backups(tenantID: tenantID, page: page)
    }

    /// Users and live keys of a tenant, for its stats.
    public func counts(tenantID: String) async throws -> (users: Int, activeKeys: Int) {
        try await store.counts(tenantID: tenantID)
    }

    // MARK: Audit outbox

    /// Adds `event` (already stamped with its id and time) to the outbox in a
    /// transaction of its own.
    public func enqueueAudit(_ event: AuditEvent, tenantID: String) async throws {
        try await store.enqueueAudit(event, tenantID: tenantID)
    }

    /// Events waiting for a tenant's log, oldest first.
    public func pendingAudit(tenantID: String) async throws -> [AuditEvent] {
        try await store.pendingAudit(tenantID: tenantID)
    }

    public func removeAudit(ids: [String]) async throws {
        try await store.removeAudit(ids: ids)
    }

    // MARK: Placement

    /// Records a node's address and gives its lease to `holder` for `leaseMs`
    /// (``ControlPlaneStore/claimNode(_:holder:leaseMs:)``).
    public func claimNode(_ node: NodeRow, holder: String, leaseMs: Int64) async throws {
        try await changingAccess { try await $0.claimNode(node, holder: holder, leaseMs: leaseMs) }
    }

    /// Extends `holder`'s lease of node `id`; false when it is not `holder`'s any more.
    /// Not a change of access: the node's address stays.
    public func renewNodeLease(_ id: String, holder: String, leaseMs: Int64) async throws -> Bool {
        try await store.renewNodeLease(id, holder: holder, leaseMs: leaseMs)
    }

    public func releaseNodeLease(_ id: String, holder: String) async throws {
        try await store.releaseNodeLease(id, holder: holder)
    }

    public func node(_ id: String) async throws -> NodeRow {
        guard let row = try await store.node(id) else { throw StorageError.notFound(kind: "node", id: id) }
        return row
    }

    /// Where the tenant lives; nil for a tenant never placed.
    public func placement(_ tenantID: String) async throws -> PlacementRow? {
        try await store.placement(tenantID)
    }

    public func assignPlacement(_ tenantID: String, to node: String) async throws -> PlacementRow {
        try await changingAccess { try await $0.assignPlacement(tenantID, to: node) }
    }

    public func claimPlacement(_ tenantID: String, for node: String) async throws -> PlacementRow {
        try await changingAccess { try await $0.claimPlacement(tenantID, for: node) }
    }

    public func beginMove(_ tenantID: String, from: String, epoch: Int64, to: String) async throws -> PlacementRow {
        try await changingAccess { try await $0.beginMove(tenantID, from: from, epoch: epoch, to: to) }
    }

    public func completeMove(_ tenantID: String, epoch: Int64, audit: PlacementAuditRecorder? = nil) async throws -> PlacementRow {
        try await changingAccess { try await $0.completeMove(tenantID, epoch: epoch, audit: audit) }
    }
}
