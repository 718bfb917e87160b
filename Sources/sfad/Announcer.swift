import Foundation
import SFAGRPC
import SFAServer
import ServiceLifecycle

/// Tells whoever started sfad that it listens and, later, that it stops: the address
/// on standard output (with `--port 0` the only way to learn the port without reading
/// the log) and READY / STOPPING to systemd. A service of the group, so it sees the
/// graceful shutdown begin.
struct Announcer: Service {
    let server: RPCServer
    /// The gRPC endpoint, when `--grpc-port` asks for one: its port follows the server's.
    let grpc: GRPCEndpoint?
    let notifier: SystemdNotifier

    func run() async throws {
        let address = try await server.listeningAddress
        let host = address.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "?"
        StandardOutput.write("listening on \(host):\(address.port ?? 0)")
        if let grpc { StandardOutput.write("gRPC listening on \(host):\(try await grpc.listeningPort)") }
        notifier.ready()
        // Returns when the group shuts down gracefully; throws when it is cancelled.
        try await gracefulShutdown()
        notifier.stopping()
    }
}

/// Standard output, written straight to the descriptor (`print` buffers when it is a
/// pipe) and best effort: a closed or broken stdout must not stop the server.
enum StandardOutput {
    static func write(_ line: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Whether a person may be reading it: a terminal, not a file, pipe or journal.
    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}

/// Standard error for log lines, unbuffered like `StreamLogHandler.standardError`.
struct StandardErrorStream: TextOutputStream, Sendable {
    mutating func write(_ string: String) {
        try? FileHandle.standardError.write(contentsOf: Data(string.utf8))
    }
}
