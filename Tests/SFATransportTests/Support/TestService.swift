import SFAStubs
import Synchronization

/// A service for transport tests, built from generated method descriptors:
/// `GetLead` echoes the id back as a lead after an optional delay taken from the id
/// (`"sleep:250"` sleeps 250 ms) or after `gateOpen` is set (the id `"gated"`), and
/// `CreateLead` fails with UNAVAILABLE while `failuresLeft` is positive, then echoes.
///
/// A test that needs a call to outlast something should gate it rather than pick a
/// sleep: under the whole suite's load a test task may wait seconds for a thread.
final class TestService: RPCService, Sendable {
    /// Calls that saw their task cancelled while sleeping or waiting at the gate.
    let cancellations = Atomic<Int>(0)
    /// Calls that started.
    let started = Atomic<Int>(0)
    /// Calls of `GetLead` running now, and the most that ever ran at once.
    let running = Atomic<Int>(0)
    let mostRunning = Atomic<Int>(0)
    /// Lets `"gated"` calls finish.
    let gateOpen = Atomic<Bool>(false)
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
        mostRunning.max(running.add(1, ordering: .relaxed).newValue, ordering: .relaxed)
        // Before the handler returns, so before the server counts the call finished.
        defer { running.subtract(1, ordering: .relaxed) }
        do {
            if request.id == "gated" {
                while !gateOpen.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
            } else if request.id.hasPrefix("sleep:"), let milliseconds = Int(request.id.dropFirst(6)) {
                try await Task.sleep(for: .milliseconds(milliseconds))
            }
        } catch {
            cancellations.add(1, ordering: .relaxed)
            throw error
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
