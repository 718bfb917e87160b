import SFAMessages
import SFAStubs
import SFATransport

/// The leads of the demo tenant, as the call-path benchmark needs them.
enum DemoLeads {
    /// Makes sure the admin sees at least `count` leads, creating the missing ones
    /// through `LeadService.CreateLead` with the admin's key, as a client would.
    /// - Returns: the id of a lead the demo tenant came with, for `GetLead`.
    /// - Throws: `BenchError` when the server refuses or the leads do not add up.
    static func prepare(port: Int, adminKey: String, count: Int) async throws -> String {
        let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port, apiKey: adminKey)
        do {
            let id = try await prepare(LeadServiceClient(connection), count: count)
            await connection.close()
            return id
        } catch {
            await connection.close()
            throw BenchError(description: "preparing the demo leads: \(describe(error))")
        }
    }

    private static func prepare(_ leads: LeadServiceClient, count: Int) async throws -> String {
        let page = ListLeadsRequest(pageSize: Int32(count))
        let listed = try await leads.listLeads(page).leads
        guard let demoLead = listed.first else { throw BenchError(description: "the demo tenant has no leads") }
        for number in listed.count..<count {
            let response = try await leads.createLead(CreateLeadRequest(lead: filler(number)))
            guard response.created else { throw BenchError(description: "lead \(number) was taken for a duplicate") }
        }
        let seen = try await leads.listLeads(page).leads.count
        guard seen == count else { throw BenchError(description: "the admin sees \(seen) leads, not \(count)") }
        printError(
            "sfa-rpc-bench: \(count - listed.count) leads created next to the \(listed.count) of the demo; "
                + "GetLead reads \(demoLead.firstName) \(demoLead.lastName) (\(demoLead.id))"
        )
        return demoLead.id
    }

    /// A lead shaped like the demo's (name, email, company, title, source), unique so
    /// that it is no duplicate of another.
    private static func filler(_ number: Int) -> Lead {
        Lead(
            firstName: "Sample",
            lastName: "Lead \(number)",
            email: "sample.lead\(number)@company\(number).example",
            companyName: "Sample Company \(number)",
            jobTitle: "Operations Manager",
            source: .website
        )
    }
}
