public import GRDB

/// Where a tenant's file lives in a cluster of nodes: the placement directory's row.
/// The epoch grows by one at every change of owner; a node serves a tenant only at
/// the directory's current epoch (docs/scaling.md, fencing).
public struct PlacementRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tenant_placement"
    public var tenantID: String
    /// The node that owns the tenant.
    public var nodeID: String
    public var epoch: Int64
    public var state: State
    /// While moving: the node it moves to; empty otherwise.
    public var targetNodeID: String
    public var updateTimeMs: Int64

    public init(tenantID: String, nodeID: String, epoch: Int64, state: State, targetNodeID: String = "", updateTimeMs: Int64) {
        self.tenantID = tenantID
        self.nodeID = nodeID
        self.epoch = epoch
        self.state = state
        self.targetNodeID = targetNodeID
        self.updateTimeMs = updateTimeMs
    }

    /// What a tenant's owner does with its calls.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        /// Served by its node.
        case active
        /// Being copied to another node: no node serves it until the move ends.
        case moving
        /// Served for reads only (an operator's choice, e.g. while a node is repaired).
        case readOnly = "read-only"
    }

    enum CodingKeys: String, CodingKey {
        case epoch, state
        case tenantID = "tenant_id"
        case nodeID = "node_id"
        case targetNodeID = "target_node_id"
        case updateTimeMs = "update_time_ms"
    }
}

/// A node of the cluster and the address its clients connect to.
public struct NodeRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "node"
    public var id: String
    /// `host:port` of the node's RPC listener, as clients reach it.
    public var address: String
    public var updateTimeMs: Int64

    public init(id: String, address: String, updateTimeMs: Int64 = ControlPlane.nowMs()) {
        self.id = id
        self.address = address
        self.updateTimeMs = updateTimeMs
    }

    enum CodingKeys: String, CodingKey {
        case id, address
        case updateTimeMs = "update_time_ms"
    }
}

extension PlacementRow {
    /// The placement after an operator places the tenant on `node`: the next epoch, active.
    public static func assigned(_ tenantID: String, to node: String, after current: PlacementRow?) -> PlacementRow {
        PlacementRow(tenantID: tenantID, nodeID: node, epoch: (current?.epoch ?? 0) + 1, state: .active, updateTimeMs: ControlPlane.nowMs())
    }

    /// This placement marked as moving to `to`, if it is active at `epoch` on `from`.
    public func beginningMove(from: String, epoch: Int64, to: String) throws -> PlacementRow {
        guard nodeID == from, self.epoch == epoch, state == .active else { throw StorageError.placementChanged(tenantID) }
        var next = self
        next.state = .moving
        next.targetNodeID = to
        next.updateTimeMs = ControlPlane.nowMs()
        return next
    }

    /// The placement once a move at `epoch` ends: the target owns it at the next epoch.
    public func completingMove(epoch: Int64) throws -> PlacementRow {
        guard self.epoch == epoch, state == .moving, !targetNodeID.isEmpty else { throw StorageError.placementChanged(tenantID) }
        return PlacementRow(tenantID: tenantID, nodeID: targetNodeID, epoch: epoch + 1, state: .active, updateTimeMs: ControlPlane.nowMs())
    }
}
