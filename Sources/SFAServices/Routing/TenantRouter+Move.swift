import Foundation
import GRDB
public import SFAStorage
import SFAStubs

extension TenantRouter {
    /// Moves a tenant this node owns to node `target` (docs/scaling.md, moving a tenant):
    ///
    /// 1. the directory marks it moving (every node answers TENANT_MOVING from then on);
    /// 2. this node fences its file (a call that passed the gate just before cannot
    ///    lease it any more) and waits for the calls holding it to end;
    /// 3. a consistent copy (`VACUUM INTO`, synced) is handed over for the next epoch;
    /// 4. the directory gives the tenant to `target` at the next epoch, active;
    /// 5. this node deletes its file and keeps it fenced: it holds a stale epoch now.
    ///
    /// A move that failed after step 1 leaves the tenant moving; moving it again to
    /// the same node resumes it. `audit` records the change of owner in step 4's transaction.
    /// - Returns: the tenant's placement after the move.
    /// - Throws: TENANT_MOVED when another node owns the tenant.
    public func move(_ tenantID: String, to target: String, audit: PlacementAuditRecorder? = nil) async throws -> PlacementRow {
        let targetNode = try await controlPlane.node(target)
        var placement = try await controlPlane.claimPlacement(tenantID, for: node.id)
        if placement.nodeID == target, placement.state == .active { return placement }
        guard placement.nodeID == node.id else {
            let owner = try await controlPlane.node(placement.nodeID)
            throw Redirect.moved(tenantID, to: owner.id, address: owner.address, epoch: placement.epoch, keyTenant: false)
        }
        if placement.state == .moving, placement.targetNodeID != target {
            throw StorageError.failedPrecondition(
                reason: "TENANT_ALREADY_MOVING",
                message: "tenant \(tenantID) is moving to node \(placement.targetNodeID); finish that move first"
            )
        }
        if placement.state != .moving {
            // Served here first (a copy handed to this node installed, a tenant never
            // used given its file), so that the copy below has a source.
            try await serve(placement)
            _ = try await tenants.read(tenantID) { _ in true }
            placement = try await controlPlane.beginMove(tenantID, from: node.id, epoch: placement.epoch, to: target)
        }
        let next = placement.epoch + 1
        tenants.fence(tenantID, with: Redirect.moving(tenantID, to: target, address: targetNode.address, epoch: next, keyTenant: true))
        let handoff = try node.handoffPath(tenantID, epoch: next)
        try await tenants.withExclusiveFile(tenantID, ignoringFence: true) { path in try Self.copy(path, to: handoff) }
        let moved = try await controlPlane.completeMove(tenantID, epoch: placement.epoch, audit: audit)
        tenants.fence(tenantID, with: Redirect.moved(tenantID, to: target, address: targetNode.address, epoch: moved.epoch, keyTenant: true))
        release(tenantID)
        try await tenants.deleteFiles(tenantID, ignoringFence: true)
        logger.info("tenant moved", metadata: ["tenant": "\(tenantID)", "to": "\(target)", "epoch": "\(moved.epoch)"])
        return moved
    }

    /// A consistent copy of the tenant file at `path` (closed: no call holds it) at
    /// `destination`, synced to disk before it takes its name.
    /// - Throws: `TENANT_FILE_MISSING` when there is no file: handing over nothing
    ///   would leave the target an empty tenant.
    private static func copy(_ path: String, to destination: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StorageError.failedPrecondition(reason: "TENANT_FILE_MISSING", message: "the tenant file \(path) is missing: there is nothing to hand over")
        }
        let partial = destination + ".part"
        try? FileManager.default.removeItem(atPath: partial)
        let source = try DatabaseQueue(path: path)
        try source.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [partial]) }
        try source.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: partial))
        try handle.synchronize()
        try handle.close()
        if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
        try FileManager.default.moveItem(atPath: partial, toPath: destination)
    }

    /// The placement as AdminService answers it.
    func message(_ placement: PlacementRow) async throws -> TenantPlacement {
        TenantPlacement(
            tenantId: placement.tenantID,
            nodeId: placement.nodeID,
            address: try await controlPlane.node(placement.nodeID).address,
            epoch: placement.epoch,
            state: placement.state.message,
            targetNodeId: placement.targetNodeID
        )
    }
}

extension PlacementRow.State {
    var message: PlacementState {
        switch self {
        case .active: .active
        case .moving: .moving
        case .readOnly: .readOnly
        }
    }
}
