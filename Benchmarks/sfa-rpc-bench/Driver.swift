import Foundation

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

    printError(
        "sfa-rpc-bench: echo on 127.0.0.1:\(echo.port), server on 127.0.0.1:\(server.port); "
            + "\(options.rounds) rounds × \(options.concurrencies) concurrent calls × 2 targets × "
            + "(\(options.warmup) s warm-up + \(options.seconds) s)"
    )
    let pairing = Pairing(
        echo: Run(target: echo.target, workload: .healthCheck(.echoed)),
        server: Run(target: server.target, workload: .healthCheck(.served))
    )
    let results = try await runRounds([pairing], options: options)
    report(results, method: pairing.method, concurrencies: options.concurrencies)
}

private func report(_ results: RoundResults, method: String, concurrencies: [Int]) {
    print(
        "concurrency  echo calls/s  server calls/s  ratio  echo p50 µs  server p50 µs  ratio  echo p99 µs  server p99 µs  ratio"
    )
    for concurrency in concurrencies {
        let best = results[method, concurrency]!
        let (echo, server) = (best.echo, best.server)
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
        let best = results[method, concurrency]!
        print(
            [
                String(concurrency).formatted(width: 11),
                best.echo.targetCPUPerCall.cell(width: 19),
                best.echo.clientCPUPerCall.cell(width: 12),
                best.server.targetCPUPerCall.cell(width: 7),
                best.server.clientCPUPerCall.cell(width: 14),
            ].joined(separator: " ")
        )
    }
    printFailedCalls(results)

    print("")
    if let best = results[method, goalConcurrency] {
        let ratio = best.server.callsPerSecond / best.echo.callsPerSecond
        let verdict = ratio >= throughputGoal ? "met" : "NOT met"
        print(
            "goal (issue #3): at \(goalConcurrency) concurrent calls the server reaches at least "
                + "\(throughputGoal.formatted(decimals: 2)) of the echo's throughput: \(verdict) (\(ratio.formatted(decimals: 2)))"
        )
    } else {
        print("goal (issue #3): not measured (run with \(goalConcurrency) in --concurrency)")
    }
}

/// Lists the calls that failed in any round, if some did.
func printFailedCalls(_ results: RoundResults) {
    guard !results.errors.isEmpty else { return }
    print("")
    print("failed calls (all rounds):")
    for (reason, count) in results.errors.sorted(by: { $0.key < $1.key }) {
        print("  \(count)× \(reason)")
    }
}
