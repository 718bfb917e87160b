import Foundation

/// Rows of the `ListLeads` page: the admin must see at least this many leads.
private let listPageSize = 50

/// The targets of issue #8, at `goalConcurrency` calls in flight.
private enum CallPathTargets {
    static let getLeadRatio = 0.35
    static let getLeadRatioGoal = 0.50
    static let getLeadP99Microseconds = 5000.0
    static let listLeadsRatio = 0.10
}

/// `--role call-path`, run by `scripts/bench`: prepares the demo tenant of the `sfad`
/// the script started, measures `GetLead`, `ListLeads` and `Check` on it and on the C
/// echo, and prints the tables and the targets of issue #8.
func runCallPath(_ options: BenchOptions) async throws {
    // BenchOptions.parse checked that these are given.
    let echo = options.echo.target(named: "echo")!
    let sfad = options.sfad.target(named: "sfad")!
    let adminKey = try readAdminKey(from: options.demoKeys!)
    let leadID = try await DemoLeads.prepare(port: sfad.port, adminKey: adminKey, count: listPageSize)

    func pairing(_ workload: (Answers) -> Workload) -> Pairing {
        Pairing(
            echo: Run(target: echo, workload: workload(.echoed)),
            server: Run(target: sfad, workload: workload(.served))
        )
    }
    let pairings = [
        pairing { .getLead(id: leadID, apiKey: adminKey, $0) },
        pairing { .listLeads(pageSize: Int32(listPageSize), apiKey: adminKey, $0) },
        pairing { .healthCheck($0) },
    ]
    printError(
        "sfa-rpc-bench: echo on 127.0.0.1:\(echo.port), sfad on 127.0.0.1:\(sfad.port); "
            + "\(options.rounds) rounds × \(pairings.count) methods × \(options.concurrencies) calls in flight × 2 targets × "
            + "(\(options.warmup) s warm-up + \(options.seconds) s)"
    )
    let results = try await runRounds(pairings, options: options)
    report(results, methods: pairings.map(\.method), concurrencies: options.concurrencies)
}

/// The admin's key from the file `sfad --demo` writes: `role<TAB>email<TAB>key` lines.
private func readAdminKey(from path: String) throws -> String {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw BenchError(description: "cannot read the demo keys in \(path): \(error)")
    }
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let fields = line.split(separator: "\t")
        if fields.count == 3, fields[0] == "admin" { return String(fields[2]) }
    }
    throw BenchError(description: "no admin key in \(path)")
}

private func report(_ results: RoundResults, methods: [String], concurrencies: [Int]) {
    print(
        "method     in flight  echo calls/s  sfad calls/s  ratio  sfad p50 µs  p99 µs  p99.9 µs"
            + "  echo p50 µs  p99 µs  p99.9 µs"
    )
    for method in methods {
        for concurrency in concurrencies {
            let best = results[method, concurrency]!
            let (echo, sfad) = (best.echo, best.server)
            print(
                [
                    method.padding(9) + String(concurrency).formatted(width: 11),
                    Int(echo.callsPerSecond).formatted(width: 13),
                    Int(sfad.callsPerSecond).formatted(width: 13),
                    (sfad.callsPerSecond / echo.callsPerSecond).formatted(decimals: 2).formatted(width: 6),
                    sfad.p50.formatted(decimals: 1).formatted(width: 11),
                    sfad.p99.formatted(decimals: 1).formatted(width: 7),
                    sfad.p999.formatted(decimals: 1).formatted(width: 9),
                    echo.p50.formatted(decimals: 1).formatted(width: 12),
                    echo.p99.formatted(decimals: 1).formatted(width: 7),
                    echo.p999.formatted(decimals: 1).formatted(width: 9),
                ].joined(separator: " ")
            )
        }
    }

    // CPU per call in the measured window of the kept rounds: the server's is what
    // a change to the call path moves; the client's shares the same 2 cores.
    print("")
    print("method     in flight  CPU µs/call:  sfad  client→sfad  echo  client→echo")
    for method in methods {
        for concurrency in concurrencies {
            let best = results[method, concurrency]!
            print(
                [
                    method.padding(9) + String(concurrency).formatted(width: 11),
                    best.server.targetCPUPerCall.cell(width: 19),
                    best.server.clientCPUPerCall.cell(width: 12),
                    best.echo.targetCPUPerCall.cell(width: 5),
                    best.echo.clientCPUPerCall.cell(width: 12),
                ].joined(separator: " ")
            )
        }
    }
    printFailedCalls(results)

    print("")
    guard let getLead = results["GetLead", goalConcurrency], let listLeads = results["ListLeads", goalConcurrency]
    else {
        print("targets (issue #8): not measured (run with \(goalConcurrency) in --concurrency)")
        return
    }
    func verdict(_ met: Bool) -> String { met ? "met" : "NOT met" }
    let getLeadRatio = getLead.server.callsPerSecond / getLead.echo.callsPerSecond
    let listLeadsRatio = listLeads.server.callsPerSecond / listLeads.echo.callsPerSecond
    print(
        "target (issue #8): GetLead at \(goalConcurrency) in flight ≥ \(CallPathTargets.getLeadRatio.formatted(decimals: 2)) "
            + "of the echo (goal \(CallPathTargets.getLeadRatioGoal.formatted(decimals: 2))): "
            + "\(verdict(getLeadRatio >= CallPathTargets.getLeadRatio)) (\(getLeadRatio.formatted(decimals: 2)))"
    )
    print(
        "target (issue #8): GetLead p99 at \(goalConcurrency) in flight ≤ \(Int(CallPathTargets.getLeadP99Microseconds)) µs: "
            + "\(verdict(getLead.server.p99 <= CallPathTargets.getLeadP99Microseconds)) (\(getLead.server.p99.formatted(decimals: 0)) µs)"
    )
    print(
        "target (issue #8): ListLeads (\(listPageSize) rows) at \(goalConcurrency) in flight ≥ "
            + "\(CallPathTargets.listLeadsRatio.formatted(decimals: 2)) of the echo: "
            + "\(verdict(listLeadsRatio >= CallPathTargets.listLeadsRatio)) (\(listLeadsRatio.formatted(decimals: 2)))"
    )
}
