import SFAStorage
public import SFAStubs

extension AdminService {
    /// Moves a tenant to another node (``TenantRouter/move(_:to:)``); answered by the
    /// node that owns the tenant, others redirect the call there.
    public func moveTenant(_ request: MoveTenantRequest, context: ServerContext) async throws -> TenantPlacement {
        var validation = Validation()
        validation.check(!request.toNodeId.isEmpty, "to_node_id", .required, "is required")
        try validation.throwIfInvalid()
        // Not routed here: the move itself finds the owner, and resumes a move under way.
        let tenantID = try await targetTenant(request.tenantId, context, routed: false)
        guard let router else {
            throw StorageError.failedPrecondition(
                reason: "NOT_CLUSTERED",
                message: "this server is not a node of a cluster (sfad --node-id, --control-plane postgres://…)"
            )
        }
        // The change of owner goes to the tenant's log through the outbox, written in
        // the directory's transaction; the new owner delivers it when it adopts the tenant.
        let audit: PlacementAuditRecorder = { before, after in
            self.auditEvent(context, kind: .tenant, recordID: tenantID, action: .update, version: after.epoch, changes: [
                AuditLog.change("node_id", before: before?.nodeID, after: after.nodeID),
                AuditLog.change("epoch", before: before.map { String($0.epoch) }, after: String(after.epoch)),
            ])
        }
        return try await router.message(try await router.move(tenantID, to: request.toNodeId, audit: audit))
    }
}
