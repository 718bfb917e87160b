import SFAServer
import SFAStorage

/// What `/readyz` checks: the RPC listener is bound, the server is not draining
/// (`RPCServer.readinessProblems`), and the control plane answers a read (every
/// call's authentication needs it).
enum Readiness {
    static func problems(server: RPCServer, controlPlane: ControlPlane) async -> [String] {
        var problems = server.readinessProblems
        do {
            try await controlPlane.checkAvailable()
        } catch {
            problems.append("control plane unavailable")
        }
        return problems
    }
}
