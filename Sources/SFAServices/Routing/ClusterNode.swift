import SFAStorage

/// This server as a node of a cluster whose nodes share a control plane (PostgreSQL):
/// `sfad --node-id … --advertise-address … --handoff-dir …` (docs/scaling.md).
/// Without it a server serves every tenant it is asked for (one node).
public struct ClusterNode: Sendable, Equatable {
    /// The node's id in the placement directory.
    public var id: String
    /// `host:port` clients connect to, named in redirects to this node.
    public var address: String
    /// Where a tenant moving between nodes is handed over: the source writes a
    /// consistent copy here, the target takes it when it first serves the tenant at
    /// the new epoch. Storage both nodes reach (a shared volume); with Litestream,
    /// the target restores from the replica instead (deploy/litestream.yml).
    public var handoffDirectory: String
    /// How long the node's lease lasts without a renewal (``NodeLease``): a process
    /// cut off from the control plane stops serving after it, and a second process
    /// with the same id may start after it once the first is gone without releasing.
    public var leaseDuration: Duration

    public init(id: String, address: String, handoffDirectory: String, leaseDuration: Duration = NodeLease.defaultDuration) {
        self.id = id
        self.address = address
        self.handoffDirectory = SQLiteProcessSettings.literalPath(handoffDirectory)
        self.leaseDuration = leaseDuration
    }

    /// The copy of `tenantID` handed over for `epoch`: named by both, so a copy meant
    /// for another move is never taken.
    /// - Throws: `notFound` for a string that is no tenant id (a path of its own).
    func handoffPath(_ tenantID: String, epoch: Int64) throws -> String {
        guard RecordID.isValid(tenantID, prefix: "ten") else { throw StorageError.notFound(kind: "tenant", id: tenantID) }
        return handoffDirectory + "/" + tenantID + "@" + String(epoch) + ".sqlite"
    }
}
