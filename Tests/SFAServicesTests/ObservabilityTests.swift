import Foundation
import Logging
import Prometheus
import SFAClient
import SFAServer
import SFAServices
import SFAStubs
import SFATestSupport
import Synchronization
import Testing

/// What a whole server shows operators: its log lines (never a key) and its storage
/// and authentication metrics.
@Suite struct ObservabilityTests {
    private let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test(arguments: LogFormat.allCases)
    func noAPIKeyReachesTheLogsAtAnyLevelAfterSuccessfulAndFailedCalls(format: LogFormat) async throws {
        let capture = LineCapture()
        let logger = Logger(label: "sfad") { label in format.handler(label: label, level: .trace, stream: capture) }
        let stack = try await TestStack.start(logger: logger, callLogLevel: .trace)
        var keys = [stack.operatorKey]
        do {
            let tenant = try await stack.makeTenant("Logged")
            keys += tenant.keys.values + [tenant.bootstrapKey]
            let options = CallOptions(metadata: ["traceparent": traceparent])
            let rep = stack.leads(tenant.keys[.rep])
            _ = try await rep.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead()), options: options)
            _ = await statusOf { try await rep.getLead(GetLeadRequest(id: "lead_01jd3k4m5n6p7q8r9s0t1v2w3x")) }
            _ = await statusOf {
                try await stack.leads(tenant.keys[.viewer]).createLead(
                    CreateLeadRequest(lead: LeadLifecycleTests.sampleLead()),
                    options: CallOptions(metadata: ["traceparent": "00-not-a-trace-01"])
                )
            }
            // A real key id with a wrong secret, and a key in the wrong place.
            let forged = String(tenant.keys[.admin]!.dropLast(4)) + "beef"
            keys.append(forged)
            #expect(await statusOf { try await stack.leads(forged).listLeads(ListLeadsRequest()) } == .unauthenticated)
            #expect(await statusOf { try await stack.admin("Bearer " + stack.operatorKey).listTenants(ListTenantsRequest()) } == .unauthenticated)
            _ = try await stack.admin(stack.operatorKey).listTenants(ListTenantsRequest())
            await stack.stop()

            let lines = capture.lines
            #expect(lines.count > 20)
            for key in keys {
                // Each key whole, and its secret part alone.
                let secret = String(key.split(separator: "_").last!)
                #expect(!lines.contains { $0.contains(key) || $0.contains(secret) }, "a key reached the logs")
            }
            let created = try #require(lines.first { $0.contains("/sfa.v1.LeadService/CreateLead") && $0.contains(traceparent) })
            for expected in [tenant.tenant.id, "OK", "127.0.0.1:", "rpc.call_id", "rpc.duration_ms"] {
                #expect(created.contains(expected), "\(expected) missing from \(created)")
            }
            #expect(lines.contains { $0.contains("PERMISSION_DENIED") })
            #expect(lines.contains { $0.contains("UNAUTHENTICATED") })
            #expect(!lines.contains { $0.contains("not-a-trace") }, "a malformed traceparent was logged")
            if format == .json {
                for line in lines {
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    #expect(object?["message"] is String && object?["level"] is String, "not a JSON log line: \(line)")
                }
            }
        } catch {
            await stack.stop()
            throw error
        }
    }

    @Test func storageAndAuthenticationShowInTheMetricsWithoutTenantIDs() async throws {
        let registry = PrometheusCollectorRegistry()
        let stack = try await TestStack.start(maximumOpenTenantDatabases: 1, metricsFactory: PrometheusMetricsFactory(registry: registry))
        do {
            let first = try await stack.makeTenant("First")
            let second = try await stack.makeTenant("Second")
            for tenant in [first, second, first] {
                _ = try await stack.leads(tenant.keys[.rep]).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead()))
            }
            #expect(await statusOf { try await stack.admin("sfa_key_nope").listTenants(ListTenantsRequest()) } == .unauthenticated)
            await stack.stop()

            let text = registry.emitToString()
            let metrics = PrometheusSamples(text)
            #expect(metrics.value("sfa_tenant_databases_open") == 1)
            // With room for one file, each switch of tenant closes the other.
            #expect(try #require(metrics.value("sfa_tenant_database_evictions_total")) >= 2)
            // So each switch opens a file again: three at least.
            #expect(try #require(metrics.value("sfa_tenant_database_open_duration_seconds_count")) >= 3)
            // Three leads, plus each tenant's audit events delivered from the control plane.
            #expect(try #require(metrics.value("sfa_tenant_write_duration_seconds_count")) >= 3)
            #expect(try #require(metrics.value("sfa_tenant_group_commit_writes_sum")) >= 3)
            // Tenants, users and keys made through the API.
            #expect(try #require(metrics.value("sfa_control_plane_write_duration_seconds_count")) >= 2 * 15)
            #expect(metrics.value("sfa_rpc_calls_total", ["method": "/sfa.v1.AdminService/ListTenants", "code": "UNAUTHENTICATED"]) == 1)
            #expect(metrics.value("sfa_rpc_calls_total", ["method": "/sfa.v1.LeadService/CreateLead", "code": "OK"]) == 3)
            for id in [first.tenant.id, second.tenant.id] { #expect(!text.contains(id), "a tenant id became a label") }
        } catch {
            await stack.stop()
            throw error
        }
    }
}

/// Log lines in memory, written by a real `LogFormat` handler.
final class LineCapture: TextOutputStream, Sendable {
    private let text = Mutex("")

    var lines: [String] { text.withLock { $0 }.split(separator: "\n").map(String.init) }

    func write(_ string: String) { text.withLock { $0 += string } }
}
