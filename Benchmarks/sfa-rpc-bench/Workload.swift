import SFAMessages
import SFARPC
import SFAStubs
import SFATransport

/// What the closed loops of a measurement call, and how they judge each answer.
///
/// The echo answers every call with an empty payload, which decodes as the response
/// type's default value: the client does the same work against every target, and
/// only the check of the answer differs (see ``Answers``).
struct Workload: Sendable {
    /// The method, for reports: `Check`, `GetLead`, `ListLeads`.
    let method: String
    /// Sent as `authorization: Bearer <key>` with every call; nil sends none.
    let apiKey: String?
    /// Makes one call; returns nil when the answer is as expected, else what was wrong with it.
    let call: @Sendable (RPCConnection) async throws -> String?
}

/// The answers a workload expects.
enum Answers: Sendable {
    /// Those of a real server.
    case served
    /// The echo's: the response type's default value.
    case echoed
}

extension Workload {
    /// `HealthService.Check` without a key, as load balancers call it (the server's
    /// key gate lets it through untouched).
    static func healthCheck(_ answers: Answers) -> Workload {
        let expected: ServingStatus = answers == .served ? .serving : ServingStatus()
        return Workload(method: "Check", apiKey: nil) { connection in
            let response = try await HealthServiceClient(connection).check(HealthCheckRequest())
            return response.status == expected ? nil : "health status \(response.status)"
        }
    }

    /// `LeadService.GetLead` of the lead `id`.
    static func getLead(id: String, apiKey: String, _ answers: Answers) -> Workload {
        let request = GetLeadRequest(id: id)
        let expectedID = answers == .served ? id : ""
        return Workload(method: "GetLead", apiKey: apiKey) { connection in
            let lead = try await LeadServiceClient(connection).getLead(request)
            return lead.id == expectedID ? nil : "lead \(lead.id)"
        }
    }

    /// `LeadService.ListLeads`, the first page of `pageSize` leads (the tenant must hold
    /// at least that many).
    static func listLeads(pageSize: Int32, apiKey: String, _ answers: Answers) -> Workload {
        let request = ListLeadsRequest(pageSize: pageSize)
        let expectedCount = answers == .served ? Int(pageSize) : 0
        return Workload(method: "ListLeads", apiKey: apiKey) { connection in
            let response = try await LeadServiceClient(connection).listLeads(request)
            return response.leads.count == expectedCount ? nil : "\(response.leads.count) leads"
        }
    }
}
