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
    /// Records a key's last use; not a change of access.
    func touchKey(_ id: String, at timeMs: Int64) async throws

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

    /// Records (or updates) a node's address.
    func registerNode(_ node: NodeRow) async throws
    func node(_ id: String) async throws -> NodeRow?
    /// Where the tenant lives; nil for a tenant never placed (single-node data).
    func placement(_ tenantID: String) async throws -> PlacementRow?
    /// Replaces the tenant's placement by what `next` makes of the current one (nil:
    /// never placed), in one transaction, so that changes of one placement run one
    /// after the other. - Throws: `notFound` for a tenant that does not exist.
    func changePlacement(_ tenantID: String, _ next: @escaping @Sendable (PlacementRow?) throws -> PlacementRow) async throws -> PlacementRow
}

extension ControlPlaneStore {
    /// Places a tenant on `node` at the epoch after its current one (or 1), active:
    /// a first placement, or an operator's reassignment after a node was lost.
    public func assignPlacement(_ tenantID: String, to node: String) async throws -> PlacementRow {
        try await changePlacement(tenantID) { current in .assigned(tenantID, to: node, after: current) }
    }

    /// Places a tenant never placed on `node` (epoch 1, active) unless a node placed it
    /// first: a compare-and-set on "no placement" (changes of one placement run one
    /// after the other), so of nodes claiming a one-node tenant at once exactly one
    /// wins and the others read its placement and redirect.
    /// - Returns: the tenant's placement, this node's or the winner's.
    public func claimPlacement(_ tenantID: String, for node: String) async throws -> PlacementRow {
        try await changePlacement(tenantID) { current in current ?? .assigned(tenantID, to: node, after: nil) }
    }

    /// Marks an active tenant at `epoch` on `from` as moving to `to`.
    /// - Throws: `failedPrecondition` (`PLACEMENT_CHANGED`) when the placement is not that one.
    public func beginMove(_ tenantID: String, from: String, epoch: Int64, to: String) async throws -> PlacementRow {
        try await changePlacement(tenantID) { current in
            guard let current else { throw StorageError.placementChanged(tenantID) }
            return try current.beginningMove(from: from, epoch: epoch, to: to)
        }
    }

    /// Ends the move of a tenant moving at `epoch`: its target owns it at `epoch + 1`, active.
    /// - Throws: `failedPrecondition` (`PLACEMENT_CHANGED`) when it is not moving at `epoch`.
    public func completeMove(_ tenantID: String, epoch: Int64) async throws -> PlacementRow {
        try await changePlacement(tenantID) { current in
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
