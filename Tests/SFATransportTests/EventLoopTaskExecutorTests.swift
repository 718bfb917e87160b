import NIOCore
import NIOPosix
import SFAStubs
import Testing

@testable import SFATransport

/// Tasks that prefer a connection's `EventLoopTaskExecutor` run, and make their calls,
/// on the connection's event loop; its scheduled actions are timed by the loop.
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

    @Test func aScheduledActionRunsOnTheLoopNoEarlierThanItsDeadline() async {
        let executor = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
        let deadline = ContinuousClock.now + .milliseconds(30)
        let (at, onLoop) = await withCheckedContinuation { (done: CheckedContinuation<(ContinuousClock.Instant, Bool), Never>) in
            executor.schedule(at: deadline) { done.resume(returning: (.now, executor.eventLoop.inEventLoop)) }
        }
        #expect(at >= deadline)
        #expect(onLoop)
        // A deadline already passed runs at once.
        let late = await withCheckedContinuation { (done: CheckedContinuation<Duration, Never>) in
            let asked = ContinuousClock.now
            executor.schedule(at: asked - .seconds(1)) { done.resume(returning: .now - asked) }
        }
        #expect(late < .seconds(30))  // not held for a timer: a loaded machine may still take seconds
    }
}
