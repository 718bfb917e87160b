import SFAClient
import SFAServer
import SFAStubs
import SFATransport
import Testing

/// Request payloads over the size of their kind of method are refused before they
/// are decoded.
@Suite struct RequestSizeLimitTests {
    @Test func methodsAreClassedByTheirNames() {
        let classes = [
            "/sfa.v1.LeadService/ImportLeads": RequestSizeLimits.MethodClass.bulk,
            "/sfa.v1.AdminService/CreateTenant": .admin,
            "/sfa.v1.AdminService/ListTenants": .admin,
            "/sfa.v1.LeadService/GetLead": .read,
            "/sfa.v1.LeadService/ListLeads": .read,
            "/sfa.v1.AnalyticsService/GetPipelineSummary": .read,
            "/sfa.v1.HealthService/Check": .read,
            "/sfa.v1.LeadService/CreateLead": .write,
            "/sfa.v1.SettingsService/UpdateTenantSettings": .write,
            "/nonsense": .write,
        ]
        for (method, expected) in classes {
            #expect(RequestSizeLimits.MethodClass(method: method) == expected, "\(method)")
        }
        let limits = RequestSizeLimits()
        #expect(RequestSizeLimits.MethodClass.allCases.map { limits.limit(for: $0) } == [4 << 20, 64 << 10, 256 << 10, 1 << 20])
    }

    @Test func aRequestOverItsClassLimitIsRefusedBeforeItsHandlerRunsAndTheConnectionGoesOn() async throws {
        var configuration = ServerConfiguration()
        configuration.connection.requestSizes = RequestSizeLimits(read: 1000, write: 3000)
        let service = TestService()
        try await withTestServer(configuration: configuration, services: [service]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let leads = LeadServiceClient(connection)
            // GetLeadRequest: 2 bytes of tag and length around the id.
            let idAtLimit = String(repeating: "r", count: 1000 - 3)
            #expect(GetLeadRequest(id: idAtLimit).serializedBytes().count == 1000)
            #expect(try await leads.getLead(GetLeadRequest(id: idAtLimit)).id == idAtLimit)
            let error = await #expect(throws: RPCError.self) {
                try await leads.getLead(GetLeadRequest(id: idAtLimit + "r"))
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.details.reason == "REQUEST_TOO_LARGE")
            #expect(error?.details.retryAfterMs == 0, "retrying the same bytes cannot help")
            #expect(error?.message.contains("at most 1000 bytes, not 1001") == true)
            #expect(service.started.load(ordering: .relaxed) == 1)
            // A write of the same size is within its own limit.
            let lead = Lead(id: String(repeating: "w", count: 2000))
            #expect(try await leads.createLead(CreateLeadRequest(lead: lead)).lead == lead)
            await connection.close()
        }
    }

    @Test func aFourMegabyteHealthCheckIsRefusedForItsSizeWithoutBeingDecoded() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let client = try await RawClient(port: port)
            // Field 15 as a varint, 2,000,000 times (what RefusedEncodingTests decodes).
            let payload: [UInt8] = (0..<4_000_000).map { $0 % 2 == 0 ? 0x78 : 0x01 }
            try await client.sendRequest(callID: 1, method: HealthServiceMethods.check.fullName, payload: payload)
            let header = try #require(try await client.next()).responseHeader
            #expect(StatusCode(rawValue: header.status) == .resourceExhausted)
            #expect(header.details?.reason == "REQUEST_TOO_LARGE")
            await client.close()
        }
    }
}
