import Foundation
public import SFAMessages

/// Where the control plane keeps its tables: `control.sqlite` on one node
/// (``SQLiteControlPlaneStore``), or PostgreSQL shared by several nodes
/// (`SFAControlPlanePostgres`). Every method is one intent, run in one transaction
/// with its idempotency record and audit event, so that callers never see the
/// database behind it. ``ControlPlane`` adds what does not depend on the backend:
/// the access generation and the caches it guards.
///
/// Reads of a single record answer nil when it does not exist; the control plane
/// turns that into `StorageError.notFound`. A write with an ``IdempotentWrite`` that
/// was already made answers the stored response and changes nothing.
public protocol ControlPlaneStore: Sendable {
    /// Whether other nodes change the same tables: then ``run(onAccessChange:)``
    /// reports their changes.
    var isShared: Bool { get }

    /// Since when the store has not been watching other nodes' changes (its
    /// notifications lost and not back yet, or not started); nil while it watches,
    /// and always for a store no other node changes.
    var unwatchedSince: ContinuousClock.Instant? { get }

    /// How often ``run(onAccessChange:)`` reports a change whatever the notifications:
    /// the longest a cached copy outlives a change it was not told of.
    var fallbackInterval: Duration { get }

    /// Creates or migrates the tables; called once before any other method.
    func migrate() async throws

    /// Keeps the store's connections and its change notifications going until the
    /// task is cancelled, calling `onAccessChange` whenever another node may have
    /// changed what authenticating a key or routing a tenant reads.
    func run(onAccessChange: @escaping @Sendable () -> Void) async throws

    /// Proves the store answers (readiness checks).
    func checkAvailable() async throws

    // MARK: Tenants

    /// Inserts a tenant, placed on `node` (epoch 1) when given.
    /// - Returns: the stored response of an earlier call with the same key, or nil
    ///   when this call wrote.
    func insertTenant(_ row: TenantRow, placedOn node: String?, idempotency: IdempotentWrite?, audit: AuditEvent?) async throws -> [UInt8]?
    func tenant(_ id: String) async throws -> TenantRow?
    func listTenants(page: PageRequest, statuses: [Int32], query: String) async throws -> [TenantRow]
    /// Ids of every tenant that is not deleted, in id order.
    func liveTenantIDs() async throws -> [String]
    /// Changes the status of a tenant that is not deleted if `expectedVersion` is current.
    func setTenantStatus(_ id: String, expectedVersion: Int64, status: TenantStatus, reason: String, audit: AuditRecorder<TenantRow>?) async throws -> TenantRow
    /// The tenant's call limit overrides; all 0 when it has none.
    func tenantLimits(_ id: String) async throws -> CallLimits
    func setTenantLimits(_ id: String, _ limits: CallLimits, audit: AuditRecorder<CallLimits>?) async throws
    func setTenantSchemaVersion(_ id: String, _ version: Int32) async throws

    // MARK: Users

    /// Inserts a user. - Throws: `alreadyExists(kind: "user", field: "email")` when
    /// the email is taken in its tenant.
    func insertUser(_ row: UserRow, idempotency: IdempotentWrite?, audit: AuditEvent?) async throws -> [UInt8]?
    func user(_ id: String) async throws -> UserRow?
    func listUsers(
        tenantID: String,
        scope: UserScope,
        page: PageRequest,
        roles: [Int32],
        teamID: String,
        includeDeactivated: Bool,
        query: String
    ) async throws -> [UserRow]
    func userIDs(tenantID: String, scope: UserScope) async throws -> [String]
    func teamMemberIDs(tenantID: String, teamID: String) async throws -> [String]
    /// Applies `change` to the user if `expectedVersion` is current, in one transaction.
    func updateUser(
        _ id: String,
        tenantID: String,
        expectedVersion: Int64,
        audit: AuditRecorder<UserRow>?,
        change: @escaping @Sendable (inout UserRow) throws -> Void
    ) async throws -> UserRow
    /// Deactivates a user and revokes its live keys, in one transaction.
    func deactivateUser(_ id: String, tenantID: String, expectedVersion: Int64, audit: AuditRecorder<UserRow>?) async throws -> UserRow
    func hasOperator() async throws -> Bool

    // MARK: API keys

    func insertKey(_ row: APIKeyRow, audit: AuditEvent?) async throws
    func key(_ id: String) async throws -> APIKeyRow?
    func listKeys(tenantID: String?, userID: String, includeRevoked: Bool, page: PageRequest) async throws -> [APIKeyRow]
    /// Revokes a key of `tenantID`; revoking twice keeps the first time.
    func revokeKey(_ id: String, tenantID: String?, audit: AuditRecorder<APIKeyRow>?) async throws -> APIKeyRow
    /// A key with the states of its user and tenant, in one read.
    func credential(keyID: String) async throws -> Credential?
    /// Records keys' last uses (key id → time) in one transaction; not a change of access.
    func touchKeys(_ uses: [String: Int64]) async throws

    // MARK: Backups

    func insertBackup(_ row: TenantBackupRow) async throws
    func backup(_ id: String) async throws -> TenantBackupRow?
    /// Removes the backup's record if it belongs to `tenantID`; nil when it does not.
    func deleteBackup(_ id: String, tenantID: String) async throws -> TenantBackupRow?
    func backups(tenantID: String, page: PageRequest) async throws -> [TenantBackupRow]
    /// Users and live keys of a tenant.
    func counts(tenantID: String) async throws -> (users: Int, activeKeys: Int)

    // MARK: Audit outbox

    func enqueueAudit(_ event: AuditEvent, tenantID: String) async throws
    /// Events waiting for a tenant's log, oldest first.
    func pendingAudit(tenantID: String) async throws -> [AuditEvent]
    func removeAudit(ids: [String]) async throws

    // MARK: Placement

    /// Records (or updates) a node's address and gives its lease to `holder` until
    /// `leaseMs` from now by the store's clock (PostgreSQL's, shared by every node),
    /// unless another holder's lease is live; the holder claiming again renews it.
    /// - Throws: `failedPrecondition` (`NODE_LEASE_HELD`) naming the holder and the end
    ///   of its lease.
    func claimNode(_ node: NodeRow, holder: String, leaseMs: Int64) async throws
    /// Extends `holder`'s lease of node `id` to `leaseMs` from now.
    /// - Returns: false when the lease is not `holder`'s any more (it was released, or
    ///   another process claimed the id after it ended).
    func renewNodeLease(_ id: String, holder: String, leaseMs: Int64) async throws -> Bool
    /// Ends `holder`'s lease of node `id` (a clean stop), so that another process may
    /// claim the id at once.
    func releaseNodeLease(_ id: String, holder: String) async throws
    func node(_ id: String) async throws -> NodeRow?
    /// Where the tenant lives; nil for a tenant never placed (single-node data).
    func placement(_ tenantID: String) async throws -> PlacementRow?
    /// Replaces the tenant's placement by what `next` makes of the current one (nil:
    /// never placed), in one transaction with the audit event `audit` makes of the
    /// change, so that changes of one placement run one after the other.
    /// - Throws: `notFound` for a tenant that does not exist.
    func changePlacement(
        _ tenantID: String,
        audit: PlacementAuditRecorder?,
        _ next: @escaping @Sendable (PlacementRow?) throws -> PlacementRow
    ) async throws -> PlacementRow
}

/// Builds the audit event of a change of placement from the placement before it (nil:
/// never placed) and after; runs inside the change's transaction, and nil records nothing.
public typealias PlacementAuditRecorder = @Sendable (_ before: PlacementRow?, _ after: PlacementRow) -> AuditEvent?

extension ControlPlaneStore {
    /// Places a tenant on `node` at the epoch after its current one (or 1), active:
    /// a first placement, or an operator's reassignment after a node was lost.
    public func assignPlacement(_ tenantID: String, to node: String) async throws -> PlacementRow {
        try await changePlacement(tenantID, audit: nil) { current in .assigned(tenantID, to: node, after: current) }
    }

    /// Places a tenant never placed on `node` (epoch 1, active) unless a node placed it
    /// first: a compare-and-set on "no placement" (changes of one placement run one
    /// after the other), so of nodes claiming a one-node tenant at once exactly one
    /// wins and the others read its placement and redirect.
    /// - Returns: the tenant's placement, this node's or the winner's.
    public func claimPlacement(_ tenantID: String, for node: String) async throws -> PlacementRow {
        try await changePlacement(tenantID, audit: nil) { current in current ?? .assigned(tenantID, to: node, after: nil) }
    }

    /// Marks an active tenant at `epoch` on `from` as moving to `to`.
    /// - Throws: `failedPrecondition` (`PLACEMENT_CHANGED`) when the placement is not that one.
    public func beginMove(_ tenantID: String, from: String, epoch: Int64, to: String) async throws -> PlacementRow {
        try await changePlacement(tenantID, audit: nil) { current in
            guard let current else { throw StorageError.placementChanged(tenantID) }
            return try current.beginningMove(from: from, epoch: epoch, to: to)
        }
    }

    /// Ends the move of a tenant moving at `epoch`: its target owns it at `epoch + 1`,
    /// active; `audit` records the change of owner in the same transaction.
    /// - Throws: `failedPrecondition` (`PLACEMENT_CHANGED`) when it is not moving at `epoch`.
    public func completeMove(_ tenantID: String, epoch: Int64, audit: PlacementAuditRecorder? = nil) async throws -> PlacementRow {
        try await changePlacement(tenantID, audit: audit) { current in
            guard let current else { throw StorageError.placementChanged(tenantID) }
            return try current.completingMove(epoch: epoch)
        }
    }
}

/// The idempotency record a write stores with its effect: a retry with the same key,
/// method and caller within 24 hours gets `response` of the first call back, and the
/// same key with another request is refused (`IDEMPOTENCY_KEY_REUSED`).
public struct IdempotentWrite: Sendable {
    public var key: String
    public var method: String
    public var userID: String
    public var requestDigest: [UInt8]
    /// The encoded response of this call, stored for retries.
    public var response: [UInt8]

    public init(key: String, method: String, userID: String, requestDigest: [UInt8], response: [UInt8]) {
        self.key = key
        self.method = method
        self.userID = userID
        self.requestDigest = requestDigest
        self.response = response
    }
}

extension StorageError {
    /// A node id whose lease another process holds until `untilMs`.
    public static func nodeLeaseHeld(_ id: String, holder: String, untilMs: Int64) -> StorageError {
        let until = Date(timeIntervalSince1970: Double(untilMs) / 1000).formatted(.iso8601)
        return .failedPrecondition(
            reason: "NODE_LEASE_HELD",
            message: "node \(id) is served by another process (\(holder)) whose lease lasts until \(until) unless it stops or renews it: "
                + "run one process per node id"
        )
    }

    /// A placement that another change moved on meanwhile.
    public static func placementChanged(_ tenantID: String) -> StorageError {
        .failedPrecondition(reason: "PLACEMENT_CHANGED", message: "the placement of tenant \(tenantID) changed meanwhile; read it again")
    }
}

/// Builds the audit event of a control-plane change from the row before and after
/// it; runs inside the change's transaction, and nil records nothing. Audit events
/// of control-plane changes belong in the tenant's own log, another file: they are
/// written to the control plane's outbox in the change's transaction, so that none
/// is lost, and then delivered to the tenant's log.
public typealias AuditRecorder<Row> = @Sendable (_ before: Row, _ after: Row) -> AuditEvent?
