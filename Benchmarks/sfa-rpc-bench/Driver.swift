import Foundation
import SFAMessages

/// The goal of issue #3: server throughput ÷ echo throughput at 64 concurrent calls.
let throughputGoal = 0.60
let goalConcurrency = 64

/// Starts the two children, measures both at every concurrency for several rounds,
/// prints the table, and stops the children.
func runDriver(_ options: BenchOptions) async throws {
    let echo = try Child(role: .echo)
    defer { echo.stop() }
    let server = try Child(role: .server)
    defer { server.stop() }

    // Each target must answer as expected before it is timed: the echo's empty
    // payload is a default HealthCheckResponse, the server's health says SERVING.
    let expected: [BenchOptions.Role: ServingStatus] = [.echo: ServingStatus(), .server: .serving]
    for target in [echo, server] {
        let status = try await probe(target)
        guard status == expected[target.role] else {
            throw BenchError(description: "the \(target.role) answered a health check with \(status)")
        }
    }

    let warmup = Duration.milliseconds(Int64((options.warmup * 1000).rounded()))
    let duration = Duration.milliseconds(Int64((options.seconds * 1000).rounded()))
    printError(
        "sfa-rpc-bench: echo on 127.0.0.1:\(echo.port), server on 127.0.0.1:\(server.port); "
            + "\(options.rounds) rounds × \(options.concurrencies) concurrent calls × 2 targets × "
            + "(\(options.warmup) s warm-up + \(options.seconds) s)"
    )

    var best: [BenchOptions.Role: [Int: Sample]] = [.echo: [:], .server: [:]]
    var allErrors: [String: Int] = [:]
    for round in 1...options.rounds {
        for concurrency in options.concurrencies {
            // Alternate which side goes first, so that drifting machine noise spreads over both.
            let order = round % 2 == 1 ? [echo, server] : [server, echo]
            for target in order {
                guard target.isRunning else {
                    throw BenchError(description: "the \(target.role) child exited during the benchmark")
                }
                let sample = try await measure(
                    target: target,
                    concurrency: concurrency,
                    warmup: warmup,
                    duration: duration,
                    expectedStatus: expected[target.role]!
                )
                for (reason, count) in sample.errors {
                    allErrors["\(target.role) at \(concurrency): \(reason)", default: 0] += count
                }
                printError(
                    "  round \(round)  concurrency \(concurrency.formatted(width: 2))  \(target.role.rawValue.padding(6))"
                        + "\(Int(sample.callsPerSecond).formatted(width: 8)) calls/s  p50 \(sample.p50.formatted(decimals: 1)) µs"
                        + "  p99 \(sample.p99.formatted(decimals: 1)) µs"
                        + (sample.errors.isEmpty ? "" : "  errors \(sample.errors.values.reduce(0, +))")
                )
                if sample.callsPerSecond > best[target.role]![concurrency]?.callsPerSecond ?? -1 {
                    best[target.role]![concurrency] = sample
                }
            }
        }
    }

    report(best: best, concurrencies: options.concurrencies, errors: allErrors)
}

private func report(best: [BenchOptions.Role: [Int: Sample]], concurrencies: [Int], errors: [String: Int]) {
    print(
        "concurrency  echo calls/s  server calls/s  ratio  echo p50 µs  server p50 µs  ratio  echo p99 µs  server p99 µs  ratio"
    )
    for concurrency in concurrencies {
        let echo = best[.echo]![concurrency]!
        let server = best[.server]![concurrency]!
        let columns = [
            String(concurrency).formatted(width: 11),
            Int(echo.callsPerSecond).formatted(width: 13),
            Int(server.callsPerSecond).formatted(width: 15),
            (server.callsPerSecond / echo.callsPerSecond).formatted(decimals: 2).formatted(width: 6),
            echo.p50.formatted(decimals: 1).formatted(width: 12),
            server.p50.formatted(decimals: 1).formatted(width: 14),
            (server.p50 / echo.p50).formatted(decimals: 2).formatted(width: 6),
            echo.p99.formatted(decimals: 1).formatted(width: 12),
            server.p99.formatted(decimals: 1).formatted(width: 14),
            (server.p99 / echo.p99).formatted(decimals: 2).formatted(width: 6),
        ]
        print(columns.joined(separator: " "))
    }

    // Where the time goes: CPU per call of each process, in the kept rounds (2 cores
    // are shared by the client and the target, so CPU per call bounds throughput).
    print("")
    print("concurrency  CPU µs/call:  echo  client→echo  server  client→server")
    for concurrency in concurrencies {
        let echo = best[.echo]![concurrency]!
        let server = best[.server]![concurrency]!
        func cell(_ value: Double?, _ width: Int) -> String {
            (value.map { $0.formatted(decimals: 1) } ?? "-").formatted(width: width)
        }
        print(
            [
                String(concurrency).formatted(width: 11),
                cell(echo.targetCPUPerCall, 19),
                cell(echo.clientCPUPerCall, 12),
                cell(server.targetCPUPerCall, 7),
                cell(server.clientCPUPerCall, 14),
            ].joined(separator: " ")
        )
    }

    if !errors.isEmpty {
        print("")
        print("failed calls (all rounds):")
        for (reason, count) in errors.sorted(by: { $0.key < $1.key }) {
            print("  \(count)× \(reason)")
        }
    }

    print("")
    if let echo = best[.echo]![goalConcurrency], let server = best[.server]![goalConcurrency] {
        let ratio = server.callsPerSecond / echo.callsPerSecond
        let verdict = ratio >= throughputGoal ? "met" : "NOT met"
        print(
            "goal (issue #3): at \(goalConcurrency) concurrent calls the server reaches at least "
                + "\(throughputGoal.formatted(decimals: 2)) of the echo's throughput: \(verdict) (\(ratio.formatted(decimals: 2)))"
        )
    } else {
        print("goal (issue #3): not measured (run with \(goalConcurrency) in --concurrency)")
    }
}

extension Double {
    func formatted(decimals: Int) -> String {
        guard isFinite else { return "-" }
        return String(format: "%.\(decimals)f", self)
    }
}

extension Int {
    func formatted(width: Int) -> String { String(self).formatted(width: width) }
}

extension String {
    /// Right-aligned in `width` columns.
    func formatted(width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// Left-aligned in `width` columns.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
