public import Foundation
import Histogram

/// The result of a run, as `sfa-load` prints it and writes it with `--report`
/// (JSON, keys in snake_case; docs/sfa-load.md describes every field).
public struct LoadReport: Codable, Sendable, Equatable {
    /// Latency percentiles of successful calls, in milliseconds (microsecond resolution).
    public struct Latency: Codable, Sendable, Equatable {
        public var count: Int
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
        public var mean: Double
    }

    /// One method (or sales-day step) of the scenario.
    public struct Method: Codable, Sendable, Equatable {
        public var method: String
        public var calls: Int
        public var failed: Int
        public var callsPerSecond: Double
        public var latencyMs: Latency
        /// Failed calls by status name.
        public var errors: [String: Int]
    }

    /// What was run, for reading the figures later.
    public struct Run: Codable, Sendable, Equatable {
        public var target: String
        public var scenario: String
        /// `closed-loop` or `fixed-rate`.
        public var pace: String
        /// Calls due per second with a fixed rate; nil in a closed loop.
        public var ratePerSecond: Double?
        public var inFlight: Int
        public var connections: Int
        public var tenants: Int
        /// `uniform` or `zipf:<exponent>`.
        public var skew: String

        public init(
            target: String, scenario: String, pace: String, ratePerSecond: Double?, inFlight: Int, connections: Int, tenants: Int, skew: String
        ) {
            self.target = target
            self.scenario = scenario
            self.pace = pace
            self.ratePerSecond = ratePerSecond
            self.inFlight = inFlight
            self.connections = connections
            self.tenants = tenants
            self.skew = skew
        }
    }

    /// The version of this format; bumped when a field changes meaning or a field is
    /// added (2: `first_call_latency_ms` and `first_calls_failed`).
    public var format = 2
    public var run: Run
    /// Seconds from the end of the warm-up to the last recorded call's end.
    public var elapsedSeconds: Double
    public var calls: Int
    public var succeeded: Int
    public var failed: Int
    /// failed / calls; 0 for a run without calls.
    public var errorRate: Double
    /// Successful calls per second of `elapsed_seconds`.
    public var callsPerSecond: Double
    public var latencyMs: Latency
    /// The successful calls that were the run's first to their tenant (warm-up calls
    /// excluded, and their tenants with them): after a server's start, a cold
    /// tenant's first call.
    public var firstCallLatencyMs: Latency
    /// The failed calls that were the run's first to their tenant (a cold open that
    /// outlasted the deadline, say): not in ``firstCallLatencyMs``.
    public var firstCallsFailed: Int
    public var methods: [Method]
    /// Failed calls by status name, over every method.
    public var errors: [String: Int]

    public init(run: Run, recorder: LatencyRecorder, elapsed: Duration) {
        let seconds = Swift.max(elapsed.seconds, 1e-9)
        self.run = run
        elapsedSeconds = elapsed.seconds
        succeeded = recorder.succeeded
        failed = recorder.failed
        calls = succeeded + failed
        errorRate = calls == 0 ? 0 : Double(failed) / Double(calls)
        callsPerSecond = Double(succeeded) / seconds
        latencyMs = Latency(recorder.overall)
        firstCallLatencyMs = Latency(recorder.firstCalls)
        firstCallsFailed = recorder.firstCallFailures
        let names = Set(recorder.latencies.keys).union(recorder.failures.keys).sorted()
        methods = names.map { name in
            let histogram = recorder.latencies[name] ?? LatencyRecorder.emptyHistogram()
            let errors = recorder.failures[name] ?? [:]
            let failed = errors.values.reduce(0, +)
            return Method(
                method: name,
                calls: Int(histogram.totalCount) + failed,
                failed: failed,
                callsPerSecond: Double(histogram.totalCount) / seconds,
                latencyMs: Latency(histogram),
                errors: errors
            )
        }
        errors = recorder.failures.values.reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) }
    }

    /// The report as JSON: sorted keys, so that two reports diff line by line.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> LoadReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(LoadReport.self, from: data)
    }

    /// The report for a terminal: one line per method and one for all, then one for the
    /// tenants' first calls when there were several, then errors.
    public var summary: String {
        func row(_ name: String, _ calls: Int, _ rate: Double, _ failed: Int, _ latency: Latency) -> String {
            let cells = [
                name.padding(toLength: 22, withPad: " ", startingAt: 0), pad(calls, 9), pad(rate, 10, 1), pad(failed, 7),
                pad(latency.p50, 9, 3), pad(latency.p90, 9, 3), pad(latency.p99, 9, 3), pad(latency.p999, 9, 3), pad(latency.max, 9, 3),
            ]
            return cells.joined(separator: " ")
        }
        var lines = [
            "\(run.scenario) against \(run.target): \(run.pace)"
                + (run.ratePerSecond.map { " at \(Int($0))/s" } ?? "")
                + ", \(run.inFlight) in flight on \(run.connections) connections, \(run.tenants) tenants (\(run.skew)), "
                + String(format: "%.1f s", elapsedSeconds),
            ["method".padding(toLength: 22, withPad: " ", startingAt: 0), pad("calls", 9), pad("calls/s", 10), pad("errors", 7),
             pad("p50 ms", 9), pad("p90 ms", 9), pad("p99 ms", 9), pad("p99.9 ms", 9), pad("max ms", 9)].joined(separator: " "),
        ]
        for method in methods { lines.append(row(method.method, method.calls, method.callsPerSecond, method.failed, method.latencyMs)) }
        lines.append(row("all", calls, callsPerSecond, failed, latencyMs))
        let firstCalls = firstCallLatencyMs.count + firstCallsFailed
        if firstCalls > 1 {
            let rate = Double(firstCallLatencyMs.count) / Swift.max(elapsedSeconds, 1e-9)
            lines.append(row("first call per tenant", firstCalls, rate, firstCallsFailed, firstCallLatencyMs))
        }
        if !errors.isEmpty {
            lines.append("errors: " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + String(format: " (%.3f%% of calls)", errorRate * 100))
        }
        return lines.joined(separator: "\n")
    }
}

extension LoadReport.Latency {
    init(_ histogram: Histogram<UInt64>) {
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        let empty = histogram.totalCount == 0
        count = Int(histogram.totalCount)
        p50 = empty ? 0 : ms(histogram.valueAtPercentile(50))
        p90 = empty ? 0 : ms(histogram.valueAtPercentile(90))
        p99 = empty ? 0 : ms(histogram.valueAtPercentile(99))
        p999 = empty ? 0 : ms(histogram.valueAtPercentile(99.9))
        max = empty ? 0 : ms(histogram.max)
        mean = empty ? 0 : histogram.mean / 1000
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: Swift.max(0, width - text.count)) + text
}

private func pad(_ value: Int, _ width: Int) -> String { pad(String(value), width) }

private func pad(_ value: Double, _ width: Int, _ decimals: Int) -> String { pad(String(format: "%.\(decimals)f", value), width) }

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
