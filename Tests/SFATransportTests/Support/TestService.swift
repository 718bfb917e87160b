import SFAStubs
import Synchronization

/// A service for transport tests, built from generated method descriptors:
/// `GetLead` echoes the id back as a lead after an optional delay taken from the id
/// (`"sleep:250"` sleeps 250 ms), and `CreateLead` fails with UNAVAILABLE while
/// `failuresLeft` is positive, then echoes.
final class TestService: RPCService, Sendable {
    /// Calls that saw their task cancelled while sleeping.
    let cancellations = Atomic<Int>(0)
    /// Calls that started.
    let started = Atomic<Int>(0)
    /// Calls of `CreateLead`.
    let createCalls = Atomic<Int>(0)
    /// How many more calls fail with UNAVAILABLE before calls succeed.
    let failuresLeft = Atomic<Int>(0)

    var methodHandlers: [RPCMethodHandler] {
        [
            RPCMethodHandler(method: LeadServiceMethods.getLead) { (request: GetLeadRequest, _) in
                try await self.getLead(request)
            },
            RPCMethodHandler(method: LeadServiceMethods.createLead) { (request: CreateLeadRequest, _) in
                try self.createLead(request)
            },
            RPCMethodHandler(method: LeadServiceMethods.updateLead) { (_: UpdateLeadRequest, _) -> Lead in
                throw TestFailure.unexpected
            },
        ]
    }

    private func getLead(_ request: GetLeadRequest) async throws -> Lead {
        started.add(1, ordering: .relaxed)
        if request.id.hasPrefix("sleep:"), let milliseconds = Int(request.id.dropFirst(6)) {
            do {
                try await Task.sleep(for: .milliseconds(milliseconds))
            } catch {
                cancellations.add(1, ordering: .relaxed)
                throw error
            }
        }
        return Lead(id: request.id)
    }

    private func createLead(_ request: CreateLeadRequest) throws -> CreateLeadResponse {
        createCalls.add(1, ordering: .relaxed)
        if failuresLeft.subtract(1, ordering: .relaxed).oldValue > 0 {
            throw RPCError(code: .unavailable, message: "try again")
        }
        return CreateLeadResponse(lead: request.lead, created: true)
    }
}

/// An error no status maps: the server must answer INTERNAL without its text.
enum TestFailure: Error {
    case unexpected
}
