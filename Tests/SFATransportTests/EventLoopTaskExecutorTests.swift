import NIOCore
import NIOPosix
import SFAStubs
import Testing

@testable import SFATransport

/// Tasks that prefer a connection's `EventLoopTaskExecutor` run, and make their calls,
/// on the connection's event loop; its sleep is timed by the loop.
@Suite struct EventLoopTaskExecutorTests {
    @Test func aTaskPreferringTheConnectionsExecutorCallsWithoutLeavingItsLoop() async throws {
        try await withTestServer(services: [TestService()]) { _, port in
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let executor = connection.taskExecutor
            let onLoop = try await withTaskExecutorPreference(executor) {
                var onLoop = [executor.eventLoop.inEventLoop]
                for index in 0..<20 {
                    let lead = try await LeadServiceClient(connection).getLead(GetLeadRequest(id: "lead-\(index)"))
                    #expect(lead.id == "lead-\(index)")
                    onLoop.append(executor.eventLoop.inEventLoop)
                }
                return onLoop
            }
            await connection.close()
            #expect(onLoop == Array(repeating: true, count: 21))
        }
    }

    @Test func sleepReturnsAtItsDeadlineOrWhenCancelled() async throws {
        let executor = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
        let start = ContinuousClock.now
        await executor.sleep(until: start + .milliseconds(30))
        #expect(ContinuousClock.now - start >= .milliseconds(30))

        // A deadline already passed returns at once; a cancelled sleep returns early.
        await executor.sleep(until: start)
        let sleeper = Task { await executor.sleep(until: .now + .seconds(60)) }
        sleeper.cancel()
        let cancelledAt = ContinuousClock.now
        await sleeper.value
        #expect(ContinuousClock.now - cancelledAt < .seconds(30))
    }
}
