import ArgumentParser
import Foundation
import SFAClient
import SFARPC
import SFACommandLine
import SFATransport

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

    @OptionGroup var tls: TLSOptions

    @Option(help: "Seconds a call may take before it fails with DEADLINE_EXCEEDED; 0 for no deadline.")
    var timeout: Double = 30

    @Flag(help: "Print replies, and errors on standard error, as JSON (proto3 JSON mapping, field names as in the .proto).")
    var json = false

    @Option(
        name: .customLong("metadata"),
        help: ArgumentHelp("Request metadata sent with every call, as name=value (e.g. traceparent=00-…); repeat for several.", valueName: "name=value")
    )
    var metadata: [String] = []

    @Option(
        name: .customLong("redirect-host"),
        help: ArgumentHelp(
            "A host besides --host that a cluster's redirects may send calls and the API key to (a name, an address, or *.domain); repeat for several.",
            valueName: "host"
        )
    )
    var redirectHosts: [String] = []

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard timeout >= 0, timeout.isFinite else { throw ValidationError("--timeout must be 0 or more seconds") }
        for item in metadata where !item.contains("=") || item.hasPrefix("=") {
            throw ValidationError("--metadata takes name=value, not \(item)")
        }
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

    /// Options for one call: the deadline and the metadata.
    var callOptions: CallOptions {
        var pairs: [String: String] = [:]
        for item in metadata {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs[String(parts[0])] = String(parts[1])
        }
        return CallOptions(timeout: callTimeout, metadata: pairs)
    }

    /// Reports failures on standard error, as text or (`--json`) as JSON, without the key.
    var errorReporter: ErrorReporter { ErrorReporter(secret: resolvedAPIKey, json: json) }

    /// Opens a client, runs `body` with it, closes it, and turns failures into a
    /// message on standard error and an exit code (docs/sfactl.md).
    func withClient(_ body: (RPCClient) async throws -> Void) async throws {
        let clientTLS: ClientTLS?
        do {
            clientTLS = try tls.clientTLS(host: host)
        } catch {
            throw errorReporter.report(error)
        }
        let client = RPCClient(
            configuration: ClientConfiguration(
                host: host,
                port: port,
                apiKey: resolvedAPIKey,
                defaultTimeout: callTimeout,
                tls: clientTLS,
                redirectHosts: redirectHosts
            )
        )
        do {
            try await body(client)
            await client.close()
        } catch {
            await client.close()
            throw errorReporter.report(error)
        }
    }

    /// Runs work that needs no server, reporting failures the same way.
    func local(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw errorReporter.report(error)
        }
    }
}
