import ArgumentParser
import Foundation
import SFAMessages
import SFAProtoJSON
import SFARPC
import SFAStubs
import SFATransport
import Synchronization

/// `sfactl health`: HealthService.Check.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask whether the server (or one service) is serving.",
        discussion: """
            Calls sfa.v1.HealthService/Check, which needs no API key. Prints SERVING, \
            NOT_SERVING (also while the server drains) or UNKNOWN; a service the server does not host \
            is an RPC error (NOT_FOUND). \
            Exits with 0 when SERVING, 3 when the server answered with another status, 1 on an RPC error.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "A full service name, e.g. sfa.v1.LeadService; the whole server when left out.")
    var service: String?

    func run() async throws {
        var serving = true
        try await global.withClient { client in
            let response = try await HealthServiceClient(client).check(
                HealthCheckRequest(service: service ?? ""),
                options: global.callOptions
            )
            if global.json {
                print(try Output.json(response))
            } else {
                print(Output.enumText(response.status, "sfa.v1.ServingStatus").uppercased())
            }
            serving = response.status == .serving
        }
        if !serving { throw ExitCode(ExitCodes.notServing) }
    }
}

/// `sfactl ping`: PING / PONG on one connection.
struct Ping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the round trip of a PING frame.",
        discussion: """
            Opens a connection, sends PING frames (no RPC, no API key needed) and prints each \
            round-trip time in milliseconds.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "How many pings to send, one after another.")
    var count = 1

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        try await global.withClient { client in
            let connection = try await client.connection()
            var samples: [Double] = []
            for sequence in 1...count {
                let roundTrip = try await Self.ping(connection, timeout: global.callTimeout)
                let milliseconds = Double(roundTrip.components.seconds) * 1000 + Double(roundTrip.components.attoseconds) / 1e15
                samples.append(milliseconds)
                if global.json {
                    print(JSONValue.object([
                        ("seq", .number(String(sequence))),
                        ("round_trip_ms", .number(String(format: "%.3f", milliseconds))),
                    ]).serialized(pretty: false))
                } else {
                    print(String(format: "pong from %@:%d: seq=%d time=%.3f ms", global.host, global.port, sequence, milliseconds))
                }
            }
            if samples.count > 1, !global.json {
                let minimum = samples.min() ?? 0, maximum = samples.max() ?? 0
                let average = samples.reduce(0, +) / Double(samples.count)
                print(String(format: "%d pings: min/avg/max = %.3f/%.3f/%.3f ms", samples.count, minimum, average, maximum))
            }
        }
    }

    /// One PING; when no PONG comes within `timeout`, the connection is closed, which
    /// fails the ping, and the error is DEADLINE_EXCEEDED.
    private static func ping(_ connection: RPCConnection, timeout: Duration?) async throws -> Duration {
        guard let timeout else { return try await connection.ping() }
        let fired = Flag()
        let timer = Task {
            try await Task.sleep(for: timeout)
            fired.value.store(true, ordering: .releasing)
            await connection.close()
        }
        defer { timer.cancel() }
        do {
            return try await connection.ping()
        } catch {
            if fired.value.load(ordering: .acquiring) {
                throw RPCError(code: .deadlineExceeded, message: "no PONG within the deadline")
            }
            throw error
        }
    }

    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }
}
