import Logging
import Prometheus
import SFAClient
import SFAServer
import SFAStubs
import SFATestSupport
import SFATransport
import Synchronization
import Testing

/// The admin HTTP listener of a real server: `/metrics` after successful and failed
/// calls, `/healthz`, and `/readyz` through a drain.
@Suite struct AdminEndpointTests {
    private let getLead = LeadServiceMethods.getLead.fullName

    /// A server with its own registry (no process-wide bootstrap) and its admin listener,
    /// both on ports the system picks; `stop` begins the server's drain, as SIGTERM does.
    private func withAdmin<Result: Sendable>(
        service: TestService = TestService(),
        configuration: ServerConfiguration = ServerConfiguration(),
        _ body: (_ port: Int, _ adminPort: Int, _ stop: @Sendable () -> Void) async throws -> Result
    ) async throws -> Result {
        let factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.metricsFactory = factory
        let server = RPCServer(configuration: configuration, services: [service], logger: Logger(label: "test"))
        let admin = AdminServer(
            configuration: AdminConfiguration(host: "127.0.0.1", port: 0),
            registry: factory.registry,
            readiness: { server.readinessProblems },
            logger: Logger(label: "test")
        )
        let running = Task { try await server.run() }
        let adminRunning = Task { try await admin.run() }
        defer {
            running.cancel()
            adminRunning.cancel()
        }
        let port = try await server.listeningAddress.port!
        let adminPort = try await admin.listeningAddress.port!
        let result = try await body(port, adminPort) { running.cancel() }
        running.cancel()
        try await running.value
        return result
    }

    @Test func metricsCountCallsByMethodAndStatusWithLatencyHistograms() async throws {
        let service = TestService()
        service.failuresLeft.store(1, ordering: .relaxed)
        var configuration = ServerConfiguration()
        configuration.connection.maximumFrameSize = 1024
        try await withAdmin(service: service, configuration: configuration) { port, adminPort, _ in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let leads = LeadServiceClient(connection)
            _ = try await leads.getLead(GetLeadRequest(id: "a"))
            _ = try await leads.getLead(GetLeadRequest(id: "b"))
            _ = try? await leads.updateLead(UpdateLeadRequest())  // INTERNAL
            _ = try? await leads.createLead(CreateLeadRequest())  // UNAVAILABLE, once
            _ = try await leads.createLead(CreateLeadRequest())
            let raw = try await RawClient(port: port)
            try await raw.sendRequest(callID: 1, method: "/sfa.v1.Nope/Made_Up_\(UInt64.random(in: 0...UInt64.max))", payload: [])
            _ = try await raw.next()  // UNIMPLEMENTED
            try await raw.sendRequest(callID: 2, method: getLead, payload: GetLeadRequest(id: String(repeating: "x", count: 5000)).serializedBytes())
            _ = try await raw.next()  // refused before dispatch: FRAME_TOO_LARGE

            let (status, text) = try await httpGet(port: adminPort, path: "/metrics")
            #expect(status == 200)
            let metrics = PrometheusSamples(text)
            let calls = "sfa_rpc_calls_total"
            #expect(metrics.value(calls, ["method": getLead, "code": "OK"]) == 2)
            #expect(metrics.value(calls, ["method": "/sfa.v1.LeadService/UpdateLead", "code": "INTERNAL"]) == 1)
            #expect(metrics.value(calls, ["method": "/sfa.v1.LeadService/CreateLead", "code": "UNAVAILABLE"]) == 1)
            #expect(metrics.value(calls, ["method": "/sfa.v1.LeadService/CreateLead", "code": "OK"]) == 1)
            // A made-up method name never becomes a label.
            #expect(metrics.value(calls, ["method": "unknown", "code": "UNIMPLEMENTED"]) == 1)
            #expect(!text.contains("Made_Up"))
            #expect(metrics.value("sfa_rpc_duration_seconds_count", ["method": getLead]) == 2)
            #expect(metrics.value("sfa_rpc_duration_seconds_count", ["method": "/sfa.v1.LeadService/CreateLead"]) == 2)
            // Every call of GetLead took under 10 s: the histogram's 10 s bucket holds both.
            #expect(metrics.value("sfa_rpc_duration_seconds_bucket", ["method": getLead, "le": "10.0"]) == 2)
            #expect(metrics.value("sfa_rpc_calls_in_flight") == 0)
            #expect(metrics.value("sfa_connections_open") == 2)
            #expect(metrics.value("sfa_frames_refused_total", ["reason": "FRAME_TOO_LARGE"]) == 1)
            await raw.close()
            await connection.close()
        }
    }

    @Test func healthzAnswersAndReadyzTurnsUnreadyWhileDraining() async throws {
        let service = TestService()
        var configuration = ServerConfiguration()
        // The gated call must outlast the /readyz and /healthz asked while draining,
        // however slowly a loaded machine runs them.
        configuration.drainGracePeriod = .seconds(60)
        try await withAdmin(service: service, configuration: configuration) { port, adminPort, stop in
            #expect(try await httpGet(port: adminPort, path: "/healthz").status == 200)
            #expect(try await httpGet(port: adminPort, path: "/readyz").status == 200)
            #expect(try await httpGet(port: adminPort, path: "/nothing").status == 404)

            // A call in flight (gated until /readyz is asked) keeps the server draining.
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let slow = Task { try await LeadServiceClient(connection).getLead(GetLeadRequest(id: "gated")) }
            #expect(await eventually { service.started.load(ordering: .relaxed) == 1 })
            stop()
            let ready = try await httpGet(port: adminPort, path: "/readyz")
            #expect(ready.status == 503)
            #expect(ready.body.contains("draining"))
            #expect(try await httpGet(port: adminPort, path: "/healthz").status == 200)
            // The call in flight still finishes: the drain lets it.
            service.gateOpen.store(true, ordering: .relaxed)
            #expect(try await slow.value.id == "gated")
            await connection.close()
        }
    }
}
