import SFAServer
import SFAServices
import SFAStorage

/// What `/readyz` checks: the RPC listener is bound, the server is not draining
/// (`RPCServer.readinessProblems`), and the control plane answers a read (every
/// call's authentication needs it); in a cluster, the node holds its lease (without
/// it no tenant is served) and has not gone without other nodes' changes longer than
/// the fallback interval.
enum Readiness {
    static func problems(server: RPCServer, controlPlane: ControlPlane, lease: NodeLease?) async -> [String] {
        var problems = server.readinessProblems
        if let lease, !lease.isHeld { problems.append("node lease of \(lease.nodeID) not held") }
        if let watch = controlPlane.watchProblem { problems.append(watch) }
        do {
            try await controlPlane.checkAvailable()
        } catch {
            problems.append("control plane unavailable")
        }
        return problems
    }
}
