import ArgumentParser
import Foundation
import SFALoad

/// `sfa-load run`: a scenario over the tenants of a keys file.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario and report latency percentiles and errors.",
        discussion: """
            Exits 0, or 2 when the share of failed calls is above --max-error-rate (1 for a run that \
            could not start). Example: sfa-load run --keys-file keys.jsonl --in-flight 64 --duration 30s \
            --method LeadService/GetLead --body '{"id": "{{lead}}"}'
            """
    )

    @OptionGroup var target: TargetOptions

    @Option(help: "The tenants: one JSON object per line, as 'sfa-load setup' writes (docs/sfa-load.md).")
    var keysFile: String

    @Option(help: "Use only the first N tenants of the keys file.")
    var tenants: Int?

    @Option(help: "How calls spread over tenants: uniform, zipf or zipf:<exponent>.")
    var skew = "uniform"

    @Option(help: "A named scenario: sales-day.")
    var scenario = "sales-day"

    @Option(help: "Call only this method (Service/Method) with --body instead of a named scenario.")
    var method: String?

    @Option(help: "The request as proto3 JSON with {{generator}} fields; @FILE reads it from a file.")
    var body = "{}"

    @Option(help: "Calls outstanding at once.")
    var inFlight = 64

    @Option(help: "TCP connections the calls are multiplexed on.")
    var connections = 1

    @Option(help: "How long to run (10s, 500ms, 2m), after the warm-up.")
    var duration: DurationArgument?

    @Option(help: "Stop after this many calls instead of after a duration.")
    var calls: Int?

    @Option(help: "Calls made but not recorded at the start.")
    var warmup = DurationArgument(argument: "0s")!

    @Option(help: "A fixed arrival rate in calls per second; latency counts from each call's due time. Default: closed loop.")
    var rate: Double?

    @Option(help: "The deadline of each call.")
    var timeout = DurationArgument(argument: "30s")!

    @Option(help: "Write the JSON report here ('-': standard output, instead of the table).")
    var report: String?

    @Option(help: "Exit 2 when failed calls exceed this share of all calls.")
    var maxErrorRate = 0.01

    @Option(help: "Redirects (TENANT_MOVED, TENANT_MOVING) one call follows to other nodes of a cluster; 0 calls --target alone.")
    var maxRedirects = 0

    @Option(
        name: .customLong("redirect-host"),
        help: ArgumentHelp(
            "A host besides the target's that redirects may send calls and keys to (a name, an address, or *.domain); repeat for several.",
            valueName: "host"
        )
    )
    var redirectHosts: [String] = []

    func validate() throws {
        if duration != nil, calls != nil { throw ValidationError("give --duration or --calls, not both") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if TenantSkew(skew) == nil { throw ValidationError("--skew must be uniform, zipf or zipf:<exponent>") }
        if inFlight < 1 || connections < 1 { throw ValidationError("--in-flight and --connections must be at least 1") }
    }

    func run() async throws {
        var fixtures = try TenantFixture.read(file: keysFile)
        if let tenants { fixtures = Array(fixtures.prefix(tenants)) }
        let scenario: Scenario
        if let method {
            let text = body.hasPrefix("@") ? try String(contentsOfFile: String(body.dropFirst()), encoding: .utf8) : body
            scenario = try Scenario.method(method, body: text)
        } else {
            scenario = try Scenario.named(self.scenario)
        }
        let skew = TenantSkew(skew)!
        var plan = LoadPlan(
            host: target.host, port: target.port, connections: connections, inFlight: inFlight,
            stop: calls.map { .count($0) } ?? .duration(duration?.duration ?? .seconds(10)),
            warmup: warmup.duration, pace: rate.map { .fixedRate($0) } ?? .closedLoop, timeout: timeout.duration
        )
        plan.tls = try target.tls.clientTLS(host: target.host)
        plan.maximumRedirects = max(0, maxRedirects)
        plan.redirectHosts = redirectHosts
        let progress = LoadProgress()
        let line = ProgressLine.show(progress, label: "calls")
        let outcome = try await LoadRunner.run(plan: plan, scenario: scenario, tenants: fixtures, skew: skew, progress: progress)
        line?.cancel()
        await line?.value
        let result = LoadReport(
            run: LoadReport.Run(
                target: target.target, scenario: scenario.name, pace: rate == nil ? "closed-loop" : "fixed-rate", ratePerSecond: rate,
                inFlight: inFlight, connections: connections, tenants: fixtures.count, skew: skew.description
            ),
            recorder: outcome.recorder,
            elapsed: outcome.elapsed
        )
        if report == "-" {
            FileHandle.standardOutput.write(try result.json() + Data("\n".utf8))
        } else {
            print(result.summary)
            if let report { try result.json().write(to: URL(fileURLWithPath: report)) }
        }
        if result.errorRate > maxErrorRate {
            FileHandle.standardError.write(Data(String(format: "sfa-load: %.3f%% of calls failed (limit %.3f%%)\n", result.errorRate * 100, maxErrorRate * 100).utf8))
            throw ExitCode(2)
        }
    }
}
