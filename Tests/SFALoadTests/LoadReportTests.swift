import Foundation
import SFALoad
import Testing

@Suite struct LoadReportTests {
    static let run = LoadReport.Run(
        target: "127.0.0.1:7411", scenario: "GetLead", pace: "closed-loop", ratePerSecond: nil, inFlight: 64, connections: 4, tenants: 2,
        skew: "uniform"
    )

    static func sample() -> LoadReport {
        var recorder = LatencyRecorder()
        // Every tenth call the first to its tenant: 100, 200, … 1,000 µs.
        for index in 1...100 { recorder.record("GetLead", latency: .microseconds(index * 10), firstToTenant: index % 10 == 0) }
        recorder.recordFailure("GetLead", status: "NOT_FOUND")
        recorder.recordFailure("CreateLead", status: "ABORTED", firstToTenant: true)
        return LoadReport(run: run, recorder: recorder, elapsed: .seconds(2))
    }

    @Test func theReportCountsCallsRatesAndErrorsByStatus() {
        let report = Self.sample()
        #expect(report.calls == 102 && report.succeeded == 100 && report.failed == 2)
        #expect(abs(report.errorRate - 2.0 / 102) < 1e-12)
        #expect(report.callsPerSecond == 50)
        #expect(report.errors == ["NOT_FOUND": 1, "ABORTED": 1])
        #expect(report.methods.map(\.method) == ["CreateLead", "GetLead"])
        let getLead = report.methods[1]
        #expect(getLead.calls == 101 && getLead.failed == 1 && getLead.latencyMs.count == 100)
        #expect(abs(getLead.latencyMs.p50 - 0.5) < 0.001 && abs(getLead.latencyMs.max - 1.0) < 0.001)
        #expect(report.firstCallLatencyMs.count == 10 && report.firstCallsFailed == 1)
        #expect(abs(report.firstCallLatencyMs.p50 - 0.5) < 0.001 && abs(report.firstCallLatencyMs.max - 1.0) < 0.001)
        #expect(abs(report.firstCallLatencyMs.mean - 0.55) < 0.001)
    }

    @Test func theJSONHasSnakeCaseKeysAndReadsBackTheSame() throws {
        let report = Self.sample()
        let data = try report.json()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == [
            "format", "run", "elapsed_seconds", "calls", "succeeded", "failed", "error_rate", "calls_per_second", "latency_ms",
            "first_call_latency_ms", "first_calls_failed", "methods", "errors",
        ])
        let latency = try #require(object["latency_ms"] as? [String: Any])
        #expect(Set(latency.keys) == ["count", "p50", "p90", "p99", "p999", "max", "mean"])
        let run = try #require(object["run"] as? [String: Any])
        #expect(run["in_flight"] as? Int == 64)
        #expect(try LoadReport.decode(data) == report)
    }

    @Test func theSummaryHasALinePerMethodAndOneForAll() {
        let lines = Self.sample().summary.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("GetLead ") })
        #expect(lines.contains { $0.hasPrefix("all ") })
        // Eleven first calls, one failed.
        #expect(lines.contains { $0.hasPrefix("first call per tenant ") && $0.contains("       11 ") && $0.contains("       1 ") })
        #expect(lines.last?.hasPrefix("errors: ABORTED 1, NOT_FOUND 1") == true)
    }
}
