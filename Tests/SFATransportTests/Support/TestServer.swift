import Logging
import NIOCore
import SFAServer
import SFAStubs
import SFATransport

/// Runs an `RPCServer` on 127.0.0.1 and a port the system picks for the duration of
/// `body`, then shuts it down (as on SIGTERM) and waits for it to stop.
func withTestServer<Result: Sendable>(
    configuration: ServerConfiguration = ServerConfiguration(),
    services: [any RPCService],
    _ body: (RPCServer, Int) async throws -> Result
) async throws -> Result {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    let server = RPCServer(configuration: configuration, services: services, logger: Logger(label: "test"))
    let running = Task { try await server.run() }
    do {
        let port = try await server.listeningAddress.port!
        let result = try await body(server, port)
        running.cancel()
        try await running.value
        return result
    } catch {
        running.cancel()
        _ = try? await running.value
        throw error
    }
}
