import Foundation
import Testing

/// `sfa-load` against a real `sfad`: setup makes tenants through the API (and reuses
/// them the second time), a short sales-day run succeeds and writes a well-formed
/// report. Timings are not checked: they are for benchmarks (docs/benchmarks.md).
@Suite struct LoadSmokeTests {
    @Test(.timeLimit(.minutes(2))) func aShortSalesDayRunSucceedsAndReportsEveryStep() async throws {
        let directory = NSTemporaryDirectory() + "sfa-load-smoke-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: directory + "/data")
        defer { server.stop() }
        let operatorKey = try #require(server.operatorKey)
        let keys = directory + "/keys.jsonl"
        let report = directory + "/report.json"
        let target = "--target 127.0.0.1:\(server.port)"

        let setup = "SFALOAD setup \(target) --keys-file '\(keys)' --tenants 2 --leads 2 --opportunities 10"
        let first = try await runShell(setup, environment: ["SFA_API_KEY": operatorKey])
        #expect(first.status == 0, "\(first.error)")
        let again = try await runShell(setup, environment: ["SFA_API_KEY": operatorKey])
        #expect(again.output.contains("2 tenants in") && again.output.contains("(0 made now)"), "\(again.output)")

        let run = try await runShell(
            "SFALOAD run \(target) --keys-file '\(keys)' --scenario sales-day --duration 2s --in-flight 4 --connections 2 "
                + "--skew zipf --max-error-rate 0.05 --report '\(report)'"
        )
        #expect(run.status == 0, "\(run.output)\n\(run.error)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        #expect((json["calls"] as? Int ?? 0) > 0)
        // Only stage moves may fail, when concurrent moves of one deal keep conflicting.
        let errors = json["errors"] as? [String: Int] ?? [:]
        #expect(Set(errors.keys).isSubset(of: ["ABORTED"]), "\(errors)")
        let methods = (json["methods"] as? [[String: Any]] ?? []).compactMap { $0["method"] as? String }
        #expect(Set(methods).isSuperset(of: ["GetLead", "CreateActivity"]), "\(methods)")
        let latency = try #require(json["latency_ms"] as? [String: Any])
        for key in ["p50", "p90", "p99", "p999", "max"] { #expect(latency[key] is Double, "\(key)") }
        // Each of the two tenants has at most one first call in the run.
        let firstCalls = try #require(json["first_call_latency_ms"] as? [String: Any])
        #expect((1...2).contains(firstCalls["count"] as? Int ?? 0), "\(firstCalls)")
    }
}
