import Logging
import SFARPC
import SFAClient
import SFAServer
import SFAStubs
import SFATransport
import Testing

/// What the server writes to its logs.
@Suite struct LoggingTests {
    @Test func callsAreLoggedWithTheirStatusAndNeverWithTheAPIKey() async throws {
        let capture = LogCapture()
        var configuration = ServerConfiguration()
        configuration.port = 0
        let server = RPCServer(configuration: configuration, services: [TestService()], logger: capture.logger())
        let running = Task { try await server.run() }
        let port = try await server.listeningAddress.port!
        let secret = "sk_live_6f1d2c3b4a5e6f7a8b9c0d1e"
        let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port, apiKey: secret)
        let leads = LeadServiceClient(connection)
        _ = try await leads.getLead(GetLeadRequest(id: "a"), options: CallOptions(metadata: ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]))
        _ = try? await leads.updateLead(UpdateLeadRequest())
        await connection.close()
        running.cancel()
        try await running.value

        let lines = capture.all
        #expect(lines.contains { $0.contains("/sfa.v1.LeadService/GetLead") && $0.contains("OK") && $0.contains("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") })
        #expect(lines.contains { $0.contains("/sfa.v1.LeadService/UpdateLead") && $0.contains("INTERNAL") })
        #expect(!lines.isEmpty)
        #expect(!lines.contains { $0.contains(secret) }, "an API key reached the logs")
    }
}

@Suite struct TraceParentTests {
    @Test func onlyAWellFormedW3CTraceparentIsKept() {
        let valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        #expect(TraceParent(valid)?.description == valid)
        #expect(TraceParent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra") != nil, "later versions may add fields")
        for invalid in [
            "", "00-abc-def-01", valid.uppercased(), valid + "-extra",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0\n",
            "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ] {
            #expect(TraceParent(invalid) == nil, "\(invalid) was accepted")
        }
    }
}

@Suite struct RetryPolicyTests {
    @Test func backoffGrowsExponentiallyWithFullJitterUpToTheMaximum() {
        let policy = RetryPolicy(initialBackoff: .milliseconds(100), maximumBackoff: .milliseconds(350), multiplier: 2)
        var generator = SystemRandomNumberGenerator()
        for (retry, ceiling) in [(1, 100), (2, 200), (3, 350), (6, 350)] {
            let waits = (0..<200).map { _ in policy.backoff(beforeRetry: retry, using: &generator) }
            #expect(waits.allSatisfy { $0 >= .zero && $0 <= .milliseconds(ceiling) })
            #expect(Set(waits).count > 100, "no jitter")
            #expect(waits.max()! > .milliseconds(ceiling / 2))
        }
    }
}
