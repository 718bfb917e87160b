import SFAClient
@testable import SFAServer
import SFAStubs
import SFATransport
import Testing

/// Health and reflection over the real server and client.
@Suite struct BuiltInServiceTests {
    @Test func healthReportsServingAndKnowsItsServices() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let health = HealthServiceClient(connection)
            #expect(try await health.check(HealthCheckRequest()).status == .serving)
            #expect(try await health.check(HealthCheckRequest(service: "sfa.v1.LeadService")).status == .serving)
            let error = await #expect(throws: RPCError.self) {
                _ = try await health.check(HealthCheckRequest(service: "sfa.v1.NoSuchService"))
            }
            #expect(error?.code == .notFound)
            await connection.close()
        }
    }

    @Test func callStatisticsCountCallsByMethodAndStatus() async throws {
        try await withTestServer(services: [TestService()]) { server, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let leads = LeadServiceClient(connection)
            for index in 0..<5 { _ = try await leads.getLead(GetLeadRequest(id: "sleep:\(index)")) }
            _ = try? await leads.updateLead(UpdateLeadRequest())
            _ = try? await leads.updateLead(UpdateLeadRequest())
            let stats = server.statistics.snapshot()
            let getLead = try #require(stats.first { $0.method == "/sfa.v1.LeadService/GetLead" })
            #expect(getLead.callCount == 5 && getLead.errorCount == 0)
            #expect(getLead.p50LatencyUs > 0 && getLead.p99LatencyUs >= getLead.p50LatencyUs && getLead.maxLatencyUs >= getLead.p99LatencyUs)
            let update = try #require(stats.first { $0.method == "/sfa.v1.LeadService/UpdateLead" })
            #expect(update.errorCount == 2)
            #expect(update.statusCounts == [StatusCount(code: .internal, callCount: 2)])
            #expect(server.statistics.callsInFlight == 0)
            await connection.close()
        }
    }

    @Test func healthIsNotServingWhileDraining() async throws {
        let state = ServingState()
        let service = HealthService(servingState: state, hostedMethods: HealthServiceMethods.all)
        let context = ServerContext(method: HealthServiceMethods.check, callID: 1)
        #expect(try await service.check(HealthCheckRequest(), context: context).status == .serving)
        state.beginDraining()
        #expect(try await service.check(HealthCheckRequest(), context: context).status == .notServing)
    }

    @Test func reflectionListsTheHostedServicesFromTheDescriptors() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let reflection = ReflectionServiceClient(connection)
            let services = try await reflection.listServices(ListServicesRequest()).services
            #expect(Set(services.map(\.name)) == ["sfa.v1.LeadService", "sfa.v1.HealthService", "sfa.v1.ReflectionService"])
            let leadMethods = services.first { $0.name == "sfa.v1.LeadService" }?.methods ?? []
            #expect(Set(leadMethods.map(\.name)) == ["GetLead", "CreateLead", "UpdateLead"])
            let getLead = leadMethods.first { $0.name == "GetLead" }
            #expect(getLead?.fullMethod == "/sfa.v1.LeadService/GetLead")
            #expect(getLead?.inputType == "sfa.v1.GetLeadRequest")
            #expect(getLead?.outputType == "sfa.v1.Lead")

            let lead = try await reflection.describeMessage(DescribeMessageRequest(messageType: "sfa.v1.Lead"))
            #expect(lead.fields.first { $0.name == "email" }?.kind == .string)
            let customFields = lead.fields.first { $0.name == "custom_fields" }
            #expect(customFields?.isMap == true)
            #expect(customFields?.label == .repeated)
            let status = lead.fields.first { $0.name == "status" }
            #expect(status?.typeName == "sfa.v1.LeadStatus")
            let statuses = try await reflection.describeEnum(DescribeEnumRequest(enumType: "sfa.v1.LeadStatus"))
            #expect(statuses.values.contains { $0.name == "LEAD_STATUS_CONVERTED" })

            let error = await #expect(throws: RPCError.self) {
                _ = try await reflection.describeMessage(DescribeMessageRequest(messageType: "sfa.v1.Nope"))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.details.fieldViolations.first?.field == "message_type")
            await connection.close()
        }
    }
}
