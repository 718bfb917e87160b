/// A workload and the target it runs on.
struct Run: Sendable {
    let target: Target
    let workload: Workload
}

/// The two sides of a pairing.
enum Side: Sendable {
    case echo, server
}

/// One method measured on the echo (the ceiling) and on a server, with the same
/// client code: only the check of the answers differs.
struct Pairing: Sendable {
    let echo: Run
    let server: Run

    var method: String { server.workload.method }

    /// Both runs; which goes first alternates with the round, so that drifting
    /// machine noise spreads over both.
    fileprivate func runs(round: Int) -> [(Side, Run)] {
        round % 2 == 1 ? [(.echo, echo), (.server, server)] : [(.server, server), (.echo, echo)]
    }
}

/// The best sample of each side of each pairing at each concurrency, over all rounds.
struct RoundResults {
    /// The echo's and the server's best-throughput samples (each kept on its own).
    struct Best {
        var echo: Sample
        var server: Sample
    }

    private var best: [Side: [String: Sample]] = [.echo: [:], .server: [:]]
    /// Failed calls of every round, by "<target> <method> at <concurrency>: <reason>".
    private(set) var errors: [String: Int] = [:]

    subscript(method: String, concurrency: Int) -> Best? {
        let key = Self.key(method, concurrency)
        guard let echo = best[.echo]![key], let server = best[.server]![key] else { return nil }
        return Best(echo: echo, server: server)
    }

    fileprivate mutating func record(_ sample: Sample, side: Side, run: Run, concurrency: Int) {
        let key = Self.key(run.workload.method, concurrency)
        if sample.callsPerSecond > best[side]![key]?.callsPerSecond ?? -1 {
            best[side]![key] = sample
        }
        for (reason, count) in sample.errors {
            errors["\(run.target.name) \(run.workload.method) at \(concurrency): \(reason)", default: 0] += count
        }
    }

    private static func key(_ method: String, _ concurrency: Int) -> String { "\(method) \(concurrency)" }
}

/// Checks that every run answers as expected, then measures each pairing at every
/// concurrency, `options.rounds` times, echo and server back to back.
/// - Throws: `BenchError` when a target answers wrongly, hangs or exits.
func runRounds(_ pairings: [Pairing], options: BenchOptions) async throws -> RoundResults {
    for pairing in pairings {
        for (_, run) in pairing.runs(round: 1) {
            try await probe(run.target, with: run.workload)
        }
    }
    let warmup = Duration.milliseconds(Int64((options.warmup * 1000).rounded()))
    let duration = Duration.milliseconds(Int64((options.seconds * 1000).rounded()))
    var results = RoundResults()
    for round in 1...options.rounds {
        for pairing in pairings {
            for concurrency in options.concurrencies {
                for (side, run) in pairing.runs(round: round) {
                    guard run.target.isRunning else {
                        throw BenchError(description: "the \(run.target.name) exited during the benchmark")
                    }
                    let sample = try await measure(
                        target: run.target,
                        workload: run.workload,
                        concurrency: concurrency,
                        warmup: warmup,
                        duration: duration
                    )
                    results.record(sample, side: side, run: run, concurrency: concurrency)
                    printError(
                        "  round \(round)  \(run.workload.method.padding(10))concurrency \(concurrency.formatted(width: 3))"
                            + "  \(run.target.name.padding(6))\(Int(sample.callsPerSecond).formatted(width: 8)) calls/s"
                            + "  p50 \(sample.p50.formatted(decimals: 1)) µs  p99 \(sample.p99.formatted(decimals: 1)) µs"
                            + (sample.errors.isEmpty ? "" : "  errors \(sample.errors.values.reduce(0, +))")
                    )
                }
            }
        }
    }
    return results
}
