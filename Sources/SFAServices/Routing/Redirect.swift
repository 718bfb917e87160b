public import SFAStubs

/// The statuses that send a call to another node (docs/protocol.md §5.3). Neither
/// ran the call, so following them is safe for every method.
public enum Redirect {
    /// The tenant lives on another node (as Redis Cluster's MOVED): send this call
    /// and the next ones there. FAILED_PRECONDITION, so that a client that does not
    /// follow redirects stops rather than retries.
    public static let movedReason = "TENANT_MOVED"
    /// The tenant is moving (as Redis Cluster's ASK): try the named node once after
    /// `retry_after_ms`, without remembering it. UNAVAILABLE, so that a client that
    /// does not follow redirects retries here, where the next answer is TENANT_MOVED.
    public static let movingReason = "TENANT_MOVING"
    /// The tenant is served for reads only; a write is refused.
    public static let readOnlyReason = "TENANT_READ_ONLY"
    /// The tenant came to this node at an epoch whose copy has not reached it: it is
    /// not served until the copy is in the handoff directory (an empty file in its
    /// place would lose the tenant's data).
    public static let handoffMissingReason = "TENANT_HANDOFF_MISSING"
    /// How long a client waits before trying a moving tenant again.
    public static let movingRetryAfterMs: UInt32 = 100

    /// TENANT_MOVED to `address`, the owner at `epoch`; `keyTenant` when the tenant is
    /// the caller's key's own (the client then sends its next calls there).
    public static func moved(_ tenantID: String, to node: String, address: String, epoch: Int64, keyTenant: Bool) -> RPCError {
        RPCError(
            code: .failedPrecondition,
            message: "tenant \(tenantID) is served by node \(node) at \(address) (epoch \(epoch)); call it there",
            details: ErrorDetails(reason: movedReason, metadata: metadata(tenantID, node, address, epoch, keyTenant))
        )
    }

    /// TENANT_MOVING to `address`, the node that will own the tenant at `epoch`.
    public static func moving(_ tenantID: String, to node: String, address: String, epoch: Int64, keyTenant: Bool) -> RPCError {
        RPCError(
            code: .unavailable,
            message: "tenant \(tenantID) is moving to node \(node) at \(address); try there once after \(movingRetryAfterMs) ms",
            details: ErrorDetails(
                reason: movingReason,
                metadata: metadata(tenantID, node, address, epoch, keyTenant),
                retryAfterMs: movingRetryAfterMs
            )
        )
    }

    static func readOnly(_ tenantID: String) -> RPCError {
        RPCError(
            code: .failedPrecondition,
            message: "tenant \(tenantID) is read-only while its placement is repaired; only reads are served",
            details: ErrorDetails(reason: readOnlyReason, metadata: ["tenant_id": tenantID])
        )
    }

    static func handoffMissing(_ tenantID: String, epoch: Int64) -> RPCError {
        RPCError(
            code: .unavailable,
            message: "tenant \(tenantID) is placed on this node at epoch \(epoch) but its copy has not arrived; try again later",
            details: ErrorDetails(reason: handoffMissingReason, metadata: ["tenant_id": tenantID, "epoch": String(epoch)])
        )
    }

    private static func metadata(_ tenantID: String, _ node: String, _ address: String, _ epoch: Int64, _ keyTenant: Bool) -> [String: String] {
        ["tenant_id": tenantID, "node_id": node, "address": address, "epoch": String(epoch), "key_tenant": String(keyTenant)]
    }
}
