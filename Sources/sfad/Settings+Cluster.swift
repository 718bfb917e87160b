import ArgumentParser
import Logging
import SFAControlPlanePostgres
import SFAServer
import SFAServices
import SFAStorage

extension Settings {
    /// The control plane: PostgreSQL when `controlPlane` is a `postgres://` URL,
    /// else `control.sqlite` in the data directory.
    /// - Throws: `SettingsError` for another kind of URL.
    func controlPlane(storage: StorageConfiguration, logger: Logger) throws -> ControlPlane {
        guard let controlPlane else { return try ControlPlane(storage: storage) }
        guard controlPlane.hasPrefix("postgres://") || controlPlane.hasPrefix("postgresql://") else {
            throw SettingsError("control plane must be a postgres:// URL (or unset for control.sqlite)")
        }
        do {
            return ControlPlane(store: try PostgresControlPlaneStore(url: controlPlane, logger: logger))
        } catch let error as ControlPlaneURLError {
            throw SettingsError(error.description)
        }
    }

    /// This server as a node of a cluster, when `nodeID` is set.
    /// - Throws: `SettingsError` when the address clients reach it at is unknown, when
    ///   it has no handoff directory, or when a shared control plane has no node id.
    func clusterNode(_ server: ServerConfiguration) throws -> ClusterNode? {
        guard let nodeID else {
            // Without a node id nothing routes: every node would serve every tenant.
            guard controlPlane == nil else { throw SettingsError("a shared control plane (--control-plane) needs --node-id") }
            return nil
        }
        guard !nodeID.isEmpty, nodeID.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw SettingsError("node id \(nodeID) must be letters, digits, - and _")
        }
        let address = advertiseAddress ?? "\(server.host):\(server.port)"
        guard advertiseAddress != nil || server.port != 0 else {
            throw SettingsError("a node listening on port 0 must give --advertise-address: redirects name it")
        }
        // A directory under the data directory would be this node's alone: the target
        // of a move would never see the copy, so the operator names the shared one.
        guard let handoffDirectory else {
            throw SettingsError("a node of a cluster must give --handoff-dir, a directory every node shares")
        }
        return ClusterNode(id: nodeID, address: address, handoffDirectory: handoffDirectory)
    }
}

extension Sfad {
    /// Takes the node's lease at start.
    /// - Throws: `ExitCode.failure` after saying why when another process serves the
    ///   node id: two processes with one id would both write its tenants.
    static func claimNode(_ router: TenantRouter, logger: Logger) async throws {
        do {
            try await router.register()
        } catch StorageError.failedPrecondition(reason: "NODE_LEASE_HELD", let message) {
            logger.critical("refusing to start: \(message)")
            throw ExitCode.failure
        }
    }
}
