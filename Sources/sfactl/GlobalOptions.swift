import ArgumentParser
import Foundation
import SFAClient
import SFARPC

/// The options every command that talks to a server takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The server's address.")
    var host = "127.0.0.1"

    @Option(help: "The server's TCP port.")
    var port = 7411

    @Option(
        name: .customLong("api-key"),
        help: ArgumentHelp(
            "The API key, sent as 'authorization: Bearer <key>' (default: the SFA_API_KEY environment variable).",
            discussion: "Prefer SFA_API_KEY: a command line is visible to other users of the machine.",
            valueName: "key"
        )
    )
    var apiKey: String?

    @Option(help: "Seconds a call may take before it fails with DEADLINE_EXCEEDED; 0 for no deadline.")
    var timeout: Double = 30

    @Flag(help: "Print replies as JSON (proto3 JSON mapping, field names as in the .proto) instead of tables.")
    var json = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard timeout >= 0, timeout.isFinite else { throw ValidationError("--timeout must be 0 or more seconds") }
    }

    /// `--api-key`, else `SFA_API_KEY`; `nil` when neither is set.
    var resolvedAPIKey: String? {
        if let apiKey, !apiKey.isEmpty { return apiKey }
        if let key = ProcessInfo.processInfo.environment["SFA_API_KEY"], !key.isEmpty { return key }
        return nil
    }

    /// The deadline of each call.
    var callTimeout: Duration? {
        timeout > 0 ? .milliseconds(Int64((timeout * 1000).rounded(.up))) : nil
    }

    /// Options for one call: the deadline.
    var callOptions: CallOptions {
        CallOptions(timeout: callTimeout)
    }

    /// Opens a client, runs `body` with it, closes it, and turns failures into a
    /// message on standard error and an exit code (docs/sfactl.md).
    func withClient(_ body: (RPCClient) async throws -> Void) async throws {
        let client = RPCClient(
            configuration: ClientConfiguration(host: host, port: port, apiKey: resolvedAPIKey, defaultTimeout: callTimeout)
        )
        do {
            try await body(client)
            await client.close()
        } catch {
            await client.close()
            throw ErrorReporter(secret: resolvedAPIKey).report(error)
        }
    }

    /// Runs work that needs no server, reporting failures the same way.
    func local(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw ErrorReporter(secret: resolvedAPIKey).report(error)
        }
    }
}
