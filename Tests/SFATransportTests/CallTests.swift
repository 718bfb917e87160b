import NIOCore
import SFAClient
import SFAServer
import SFAStubs
import SFATestSupport
import SFATransport
import Synchronization
import Testing

/// Calls over real loopback sockets with the real client.
@Suite struct CallTests {
    @Test func thousandConcurrentCallsOnOneConnectionAnsweredOutOfOrder() async throws {
        let service = TestService()
        try await withTestServer(services: [service]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let leads = LeadServiceClient(connection)
            let order = Recorder()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        // Earlier calls sleep longer, so answers come back in another order.
                        let id = "sleep:\((999 - index) / 20)"
                        let lead = try await leads.getLead(GetLeadRequest(id: id))
                        #expect(lead.id == id)
                        order.append(index)
                    }
                }
                try await group.waitForAll()
            }
            let completed = order.values
            #expect(completed.count == 1000)
            #expect(completed != completed.sorted(), "responses came back in request order")
            #expect(service.started.load(ordering: .relaxed) == 1000)
            await connection.close()
        }
    }

    @Test func aDeadlineGivesDeadlineExceededAndCancelsTheHandler() async throws {
        let service = TestService()
        try await withTestServer(services: [service]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let start = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                _ = try await LeadServiceClient(connection).getLead(
                    GetLeadRequest(id: "sleep:60000"),
                    options: CallOptions(timeout: .milliseconds(200))
                )
            }
            #expect(error?.code == .deadlineExceeded)
            // Long before the handler's sleep would have ended; a loaded machine may take
            // seconds even for a 200 ms deadline.
            #expect(ContinuousClock.now - start < .seconds(30))
            #expect(await eventually { service.cancellations.load(ordering: .relaxed) == 1 })
            await connection.close()
        }
    }

    @Test func cancellingTheCallerTaskCancelsTheHandler() async throws {
        let service = TestService()
        try await withTestServer(services: [service]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let call = Task { try await LeadServiceClient(connection).getLead(GetLeadRequest(id: "sleep:10000")) }
            #expect(await eventually { service.started.load(ordering: .relaxed) == 1 })
            call.cancel()
            let error = await #expect(throws: RPCError.self) { _ = try await call.value }
            #expect(error?.code == .cancelled)
            #expect(await eventually { service.cancellations.load(ordering: .relaxed) == 1 })
            // The connection is still good.
            #expect(try await LeadServiceClient(connection).getLead(GetLeadRequest(id: "ok")).id == "ok")
            await connection.close()
        }
    }

    @Test func anUnknownMethodIsUnimplemented() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let error = await #expect(throws: RPCError.self) {
                _ = try await AccountServiceClient(connection).getAccount(GetAccountRequest(id: "acct_1"))
            }
            #expect(error?.code == .unimplemented)
            #expect(error?.message.contains("/sfa.v1.AccountService/GetAccount") == true)
            await connection.close()
        }
    }

    @Test func anUnexpectedHandlerErrorIsInternalWithoutDetails() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let error = await #expect(throws: RPCError.self) {
                _ = try await LeadServiceClient(connection).updateLead(UpdateLeadRequest())
            }
            #expect(error?.code == .internalError)
            #expect(error?.message == "internal error")
            await connection.close()
        }
    }

    @Test func idempotentCallsAreRetriedOnUnavailableAndOthersAreNot() async throws {
        let service = TestService()
        try await withTestServer(services: [service]) { _, port in
            let client = RPCClient(
                configuration: ClientConfiguration(
                    port: port,
                    retry: RetryPolicy(maximumAttempts: 4, initialBackoff: .milliseconds(5))
                )
            )
            let leads = LeadServiceClient(client)
            // CreateLead has side effects: one attempt only.
            service.failuresLeft.store(2, ordering: .relaxed)
            let error = await #expect(throws: RPCError.self) { _ = try await leads.createLead(CreateLeadRequest()) }
            #expect(error?.code == .unavailable)
            #expect(service.createCalls.load(ordering: .relaxed) == 1)
            // With an idempotency key it is safe to retry: the third attempt succeeds.
            service.failuresLeft.store(2, ordering: .relaxed)
            service.createCalls.store(0, ordering: .relaxed)
            let response = try await leads.createLead(
                CreateLeadRequest(lead: Lead(id: "x")),
                options: CallOptions(idempotencyKey: "key-1")
            )
            #expect(response.lead?.id == "x")
            #expect(service.createCalls.load(ordering: .relaxed) == 3)
            await client.close()
        }
    }

    @Test func theClientReconnectsAfterTheServerRestarts() async throws {
        // The restart needs its port back. A port from the system's ephemeral range
        // (what port 0 hands out, to the other tests' servers and clients running in
        // parallel) could be taken meanwhile, so the port is chosen below that range.
        var server: RPCServer?
        var first: Task<Void, any Error>?
        var configuration = ServerConfiguration()
        for _ in 0..<20 where server == nil {
            configuration.port = Int.random(in: 20_000..<30_000)
            let candidate = RPCServer(configuration: configuration, services: [TestService()], logger: .init(label: "test"))
            let run = Task { try await candidate.run() }
            do {
                _ = try await candidate.listeningAddress
                (server, first) = (candidate, run)
            } catch {
                run.cancel()
                _ = try? await run.value
            }
        }
        guard server != nil, let first else {
            Issue.record("no free port below the ephemeral range")
            return
        }
        let client = RPCClient(configuration: ClientConfiguration(port: configuration.port, retry: RetryPolicy(initialBackoff: .milliseconds(20))))
        #expect(try await LeadServiceClient(client).getLead(GetLeadRequest(id: "a")).id == "a")
        first.cancel()
        try await first.value
        // Same port, new server: the pooled connection is dead, the client opens a new one.
        let second = RPCServer(configuration: configuration, services: [TestService()], logger: .init(label: "test"))
        let secondRun = Task { try await second.run() }
        _ = try await second.listeningAddress
        #expect(try await LeadServiceClient(client).getLead(GetLeadRequest(id: "b")).id == "b")
        await client.close()
        secondRun.cancel()
        try await secondRun.value
    }

    @Test func pingIsAnsweredWithPong() async throws {
        try await withTestServer(services: []) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let roundTrip = try await connection.ping()
            #expect(roundTrip > .zero && roundTrip < .seconds(30))
            await connection.close()
        }
    }
}

/// Collects integers from concurrent tasks.
final class Recorder: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
