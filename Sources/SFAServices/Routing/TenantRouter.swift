import Foundation
public import Logging
public import SFAStorage
import SFAStubs
import Synchronization

/// Decides, for every call of a tenant's key, whether this node serves it, from the
/// placement directory (docs/scaling.md):
///
/// - a tenant never placed (one-node data) is claimed for this node by a
///   compare-and-set in the directory: one node wins, the others redirect to it;
/// - a tenant owned by another node is refused with TENANT_MOVED naming the owner
///   and its epoch (a node holding an older epoch refuses every call, writes first);
/// - a tenant moving is refused with TENANT_MOVING naming the target;
/// - a read-only tenant is served for methods without side effects only;
/// - a tenant this node owns at an epoch it has not served yet is first *adopted*:
///   the copy handed over for that epoch, if any, replaces the local file.
///
/// Placements and node addresses are cached under the control plane's access
/// generation (a move anywhere moves it on, by `NOTIFY` or the fallback interval),
/// so a routed call costs a lookup under a lock.
public final class TenantRouter: Sendable {
    public let node: ClusterNode
    let controlPlane: ControlPlane
    let tenants: TenantDatabases
    let logger: Logger
    /// This process's hold on the node id: without it, no tenant is served.
    public let lease: NodeLease
    /// A tenant's placement with the addresses its redirects name; nil: never placed.
    private let routes = GenerationCache<String, Route?>(capacity: 100_000)
    /// The epoch at which this node serves each tenant it adopted.
    private let adopted = Mutex<[String: Int64]>([:])
    /// Adoptions under way, so that concurrent first calls adopt once.
    private let adopting = Mutex<[String: Task<Void, any Error>]>([:])

    /// A placement and the addresses of the nodes it names.
    struct Route: Sendable {
        var placement: PlacementRow
        var ownerAddress: String
        var targetAddress: String
    }

    public init(node: ClusterNode, controlPlane: ControlPlane, tenants: TenantDatabases, logger: Logger) {
        self.node = node
        self.controlPlane = controlPlane
        self.tenants = tenants
        self.logger = logger
        lease = NodeLease(nodeID: node.id, controlPlane: controlPlane, duration: node.leaseDuration, logger: logger)
    }

    /// Records this node's address in the directory and takes its lease (at start);
    /// keep ``NodeLease/run()`` going while serving.
    /// - Throws: `failedPrecondition` (`NODE_LEASE_HELD`) while another process serves the node id.
    public func register() async throws {
        try FileManager.default.createDirectory(atPath: node.handoffDirectory, withIntermediateDirectories: true)
        try await lease.claim(address: node.address)
    }

    /// Admits a call of `tenantID` to `method` on this node, or throws the redirect;
    /// `keyTenant` when the tenant is the caller's key's own (the gate's check), not
    /// one an operator's request names.
    public func route(_ tenantID: String, method: String, keyTenant: Bool = true) async throws {
        if Self.controlPlaneMethods.contains(method) { return }
        // Another process may own the node id now: it, not this one, writes its tenants.
        guard lease.isHeld else { throw lease.lostError() }
        let route: Route
        if let known = try await self.route(tenantID) {
            route = known
        } else {
            route = try await self.route(of: try await controlPlane.claimPlacement(tenantID, for: node.id))
        }
        let placement = route.placement
        // Every node, the move's target included, answers TENANT_MOVING while the tenant moves.
        if placement.state == .moving {
            throw Redirect.moving(tenantID, to: placement.targetNodeID, address: route.targetAddress, epoch: placement.epoch + 1, keyTenant: keyTenant)
        }
        guard placement.nodeID == node.id else {
            throw Redirect.moved(tenantID, to: placement.nodeID, address: route.ownerAddress, epoch: placement.epoch, keyTenant: keyTenant)
        }
        if placement.state == .readOnly, !Self.hasNoSideEffects(method) { throw Redirect.readOnly(tenantID) }
        try await serve(placement)
    }

    /// Adopts the tenant at `placement.epoch` unless this node serves it at that epoch already.
    func serve(_ placement: PlacementRow) async throws {
        if adopted.withLock({ $0[placement.tenantID] }) != placement.epoch { try await adopt(placement) }
    }

    /// Whether this node writes the tenant's file now: it owns it, active, at the
    /// epoch it adopted. Audit delivery after a call any node answers asks first;
    /// elsewhere the events wait in the outbox for the owner.
    public func writesHere(_ tenantID: String) async -> Bool {
        guard lease.isHeld, let route = try? await route(tenantID) else { return false }
        let placement = route.placement
        return placement.nodeID == node.id && placement.state == .active && adopted.withLock { $0[tenantID] } == placement.epoch
    }

    /// The placement of `tenantID` as of the current access generation.
    func route(_ tenantID: String) async throws -> Route? {
        let generation = controlPlane.accessGeneration
        if let cached = routes.value(tenantID, generation: generation) { return cached }
        var route: Route?
        if let placement = try await controlPlane.placement(tenantID) { route = try await self.route(of: placement) }
        routes.store(route, for: tenantID, generation: generation)
        return route
    }

    /// `placement` with the addresses of the nodes it names.
    private func route(of placement: PlacementRow) async throws -> Route {
        let owner = try await controlPlane.node(placement.nodeID).address
        let target = placement.targetNodeID.isEmpty ? "" : try await controlPlane.node(placement.targetNodeID).address
        return Route(placement: placement, ownerAddress: owner, targetAddress: target)
    }

    /// Starts serving a tenant this node owns at `placement.epoch`: installs the copy
    /// handed over for that epoch when there is one (a move to this node), and lifts
    /// the fence a move away from this node left.
    /// - Throws: TENANT_HANDOFF_MISSING for an epoch after the first (a move or a
    ///   reassignment) with neither its copy nor a file here: a first lease would make
    ///   an empty file and acknowledged writes would go there.
    private func adopt(_ placement: PlacementRow) async throws {
        let task = adopting.withLock { running in
            if let task = running[placement.tenantID] { return task }
            let task = Task { [self] in
                defer { _ = adopting.withLock { $0.removeValue(forKey: placement.tenantID) } }
                let handoff = try node.handoffPath(placement.tenantID, epoch: placement.epoch)
                if FileManager.default.fileExists(atPath: handoff) {
                    try await tenants.withExclusiveFile(placement.tenantID, ignoringFence: true) { path in try Self.install(handoff, at: path) }
                    logger.info("tenant adopted from its handoff copy", metadata: ["tenant": "\(placement.tenantID)", "epoch": "\(placement.epoch)"])
                } else if placement.epoch > 1, try await tenants.schemaVersion(placement.tenantID) == nil {
                    logger.error("tenant placed here without its copy", metadata: ["tenant": "\(placement.tenantID)", "epoch": "\(placement.epoch)", "expected": "\(handoff)"])
                    throw Redirect.handoffMissing(placement.tenantID, epoch: placement.epoch)
                }
                tenants.unfence(placement.tenantID)
                adopted.withLock { $0[placement.tenantID] = placement.epoch }
                // Events that waited for the owner (a move's own among them) go to the log now.
                await AuditOutbox.deliver(placement.tenantID, controlPlane: controlPlane, tenants: tenants, logger: logger)
            }
            running[placement.tenantID] = task
            return task
        }
        try await task.value
    }

    /// Replaces the tenant file at `path` (and its WAL) by the handed-over copy.
    private static func install(_ handoff: String, at path: String) throws {
        let files = FileManager.default
        for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
            try files.removeItem(atPath: path + suffix)
        }
        try files.moveItem(atPath: handoff, toPath: path)
    }

    /// Forgets that this node served `tenantID` (it moved away).
    func release(_ tenantID: String) {
        _ = adopted.withLock { $0.removeValue(forKey: tenantID) }
    }

    /// AdminService methods that read or change the control plane only (keys, users,
    /// a tenant's status and limits): every node answers them, so that a key is
    /// revoked, a user deactivated or a tenant suspended while its owner is moving,
    /// read-only or down.
    static let controlPlaneMethods: Set<String> = {
        typealias Admin = AdminServiceMethods
        let methods = [
            Admin.getTenant, Admin.suspendTenant, Admin.resumeTenant,
            Admin.createUser, Admin.getUser, Admin.listUsers, Admin.updateUser, Admin.deactivateUser,
            Admin.issueApiKey, Admin.listApiKeys, Admin.revokeApiKey, Admin.getTenantLimits, Admin.setTenantLimits,
        ]
        return Set(methods.map(\.fullName))
    }()

    /// Whether the method only reads: safe to repeat (`NO_SIDE_EFFECTS` or
    /// `IDEMPOTENT`) and named Get…, List… or Search… (the descriptor does not tell an
    /// idempotent write such as RevokeApiKey from a read; the API's names do).
    private static func hasNoSideEffects(_ method: String) -> Bool {
        readMethods.contains(method)
    }

    private static let readMethods: Set<String> = Set(
        SFAServiceRegistry.allMethods.filter { descriptor in
            descriptor.isIdempotent && ["Get", "List", "Search"].contains { descriptor.method.hasPrefix($0) }
        }.map(\.fullName)
    )
}
