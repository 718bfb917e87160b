// GetLead over the gRPC endpoint and over the framed protocol, against one sfad, in
// one run (docs/benchmarks.md, issue 18). Both sides are Swift clients of the same
// shape: one connection, N calls in flight in a closed loop, requests encoded and
// responses decoded with the protobuf-c codec; the rounds alternate between the
// transports so that both see the same machine. scripts/bench-grpc starts the server.
import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Histogram
import SFAClient
import SFAStubs

@main
struct GRPCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfa-grpc-bench",
        abstract: "GetLead throughput over gRPC and over the framed protocol, side by side."
    )

    @Option(help: "The server's address.") var host = "127.0.0.1"
    @Option(help: "The framed listener's port.") var port: Int
    @Option(name: .customLong("grpc-port"), help: "The gRPC endpoint's port.") var grpcPort: Int
    @Option(help: "An API key that may create and read leads (a rep's).") var key: String
    @Option(help: "Seconds each measured round lasts.") var seconds = 10
    @Option(help: "Seconds of calls before each round, not measured.") var warmup = 2
    @Option(name: .customLong("in-flight"), help: "Calls in flight at once.") var inFlight = 64
    @Option(help: "Rounds per transport, alternating.") var rounds = 2

    func run() async throws {
        let native = RPCClient(configuration: ClientConfiguration(host: host, port: port, apiKey: key))
        let leads = LeadServiceClient(native)
        let created = try await leads.createLead(CreateLeadRequest(lead: Lead(
            lastName: "Bench", email: "bench.\(UUID().uuidString.prefix(8))@grpc.example", companyName: "gRPC Bench \(UUID().uuidString.prefix(8)) KK", source: .webinar
        )))
        let request = GetLeadRequest(id: created.lead!.id)

        let grpc = GRPCClient(transport: try .http2NIOPosix(target: .ipv4(address: host, port: grpcPort), transportSecurity: .plaintext))
        let connections = Task { try await grpc.runConnections() }
        let metadata: Metadata = ["authorization": "Bearer \(key)"]
        let getLead = GRPCCore.MethodDescriptor(fullyQualifiedService: "sfa.v1.LeadService", method: "GetLead")
        let overGRPC: @Sendable () async throws -> Void = {
            _ = try await grpc.unary(
                request: ClientRequest(message: request, metadata: metadata),
                descriptor: getLead,
                serializer: CodecSerializer<GetLeadRequest>(),
                deserializer: CodecDeserializer<Lead>(),
                options: .defaults
            ) { try $0.message }
        }
        let overFrames: @Sendable () async throws -> Void = { _ = try await leads.getLead(request) }

        print("GetLead, \(inFlight) calls in flight on one connection, \(seconds) s per round after \(warmup) s of warm-up")
        print("transport   round   calls/s   p50 ms   p99 ms   errors")
        var results: [String: [Round]] = [:]
        for round in 1...rounds {
            for (name, call) in [("framed", overFrames), ("gRPC", overGRPC)] {
                _ = try await measure(call, for: .seconds(warmup))
                let result = try await measure(call, for: .seconds(seconds))
                results[name, default: []].append(result)
                print(result.line(name, round: "\(round)"))
            }
        }
        for name in ["framed", "gRPC"] {
            let all = results[name] ?? []
            print(Round.merged(all).line(name, round: "all"))
        }
        if let framed = results["framed"].map(Round.merged), let overGRPC = results["gRPC"].map(Round.merged) {
            print("gRPC / framed throughput: \((overGRPC.callsPerSecond / framed.callsPerSecond).formatted(decimals: 2))")
        }
        grpc.beginGracefulShutdown()
        try await connections.value
        await native.close()
    }

    /// `inFlight` loops calling `call` until `duration` has passed.
    private func measure(_ call: @escaping @Sendable () async throws -> Void, for duration: Duration) async throws -> Round {
        let start = ContinuousClock.now
        let end = start + duration
        let rounds = try await withThrowingTaskGroup(of: Round.self) { group in
            for _ in 0..<inFlight {
                group.addTask {
                    var round = Round()
                    while ContinuousClock.now < end {
                        let begun = ContinuousClock.now
                        do {
                            try await call()
                            round.record(ContinuousClock.now - begun)
                        } catch {
                            round.errors += 1
                        }
                    }
                    return round
                }
            }
            return try await group.reduce(into: [Round]()) { $0.append($1) }
        }
        var total = Round.merged(rounds)
        total.elapsed = ContinuousClock.now - start
        return total
    }
}

/// The calls of one measured round: their latencies, errors and how long it took.
struct Round: Sendable {
    var latencies = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var errors = 0
    var elapsed = Duration.zero

    mutating func record(_ latency: Duration) {
        let (seconds, attoseconds) = latency.components
        _ = latencies.record(UInt64(min(60_000_000, max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))))
    }

    var callsPerSecond: Double {
        let (seconds, attoseconds) = elapsed.components
        let total = Double(seconds) + Double(attoseconds) / 1e18
        return total > 0 ? Double(latencies.totalCount) / total : 0
    }

    func line(_ transport: String, round: String) -> String {
        let p50 = Double(latencies.valueAtPercentile(50)) / 1000
        let p99 = Double(latencies.valueAtPercentile(99)) / 1000
        return transport.padding(toLength: 12, withPad: " ", startingAt: 0) + round.padding(toLength: 6, withPad: " ", startingAt: 0)
            + String(format: "%10.0f %8.2f %8.2f %8d", callsPerSecond, p50, p99, errors)
    }

    /// The calls of several rounds together; their times add up (the loops of one
    /// measurement have none of their own: the measurement sets it).
    static func merged(_ rounds: [Round]) -> Round {
        var merged = Round()
        for round in rounds {
            merged.latencies.add(round.latencies)
            merged.errors += round.errors
            merged.elapsed += round.elapsed
        }
        return merged
    }
}

/// Requests encoded with the protobuf-c codec, as the framed client encodes them.
struct CodecSerializer<Message: ProtoMessage>: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        Bytes(message.serializedBytes())
    }
}

/// Responses decoded with the protobuf-c codec, as the framed client decodes them.
struct CodecDeserializer<Message: ProtoMessage>: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> Message {
        try bytes.withUnsafeBytes { try Message(serializedBytes: $0, maximumSize: 4 * 1024 * 1024) }
    }
}

extension Double {
    func formatted(decimals: Int) -> String { String(format: "%.\(decimals)f", self) }
}
