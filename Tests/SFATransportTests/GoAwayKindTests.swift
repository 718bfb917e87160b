import NIOCore
import NIOConcurrencyHelpers
import NIOEmbedded
import SFAStubs
import Testing

@testable import SFATransport

/// The client reads a GOAWAY's kind, not its reason text: after a drain the calls
/// above `last_call_id` were not processed; after an abort their effect is unknown.
@Suite struct GoAwayKindTests {
    private func failure(after goAway: GoAway) throws -> RPCError? {
        let channel = EmbeddedChannel()
        let handler = ClientConnectionHandler(onUnusable: {})
        try channel.pipeline.syncOperations.addHandler(handler)
        let promise = channel.eventLoop.makePromise(of: Frame.self)
        handler.start(callID: 3, frame: ByteBuffer(), promise: promise, timeout: nil)
        var header = ByteBuffer()
        header.writeMessage(goAway)
        try channel.writeInbound(FrameDecoderOutput.frame(Frame(type: .goAway, callID: 0, header: header, payload: ByteBuffer())))
        // The embedded loop runs callbacks at once: the outcome is known here, before
        // the channel closes (which would fail a call still waiting).
        let outcome = NIOLockedValueBox<RPCError?>(nil)
        promise.futureResult.whenFailure { error in outcome.withLockedValue { $0 = error as? RPCError } }
        let error = outcome.withLockedValue { $0 }
        _ = try? channel.finish()
        return error
    }

    @Test func aDrainFailsCallsAboveTheLastIDAsNotProcessed() throws {
        let error = try #require(try failure(after: GoAway(lastCallId: 2, reason: "server shutting down", kind: .drain)))
        #expect(error.code == .unavailable && error.details.reason == "DRAINING")
    }

    @Test func anAbortFailsCallsInFlightAsOfUnknownEffect() throws {
        let error = try #require(try failure(after: GoAway(lastCallId: 0, reason: "protocol error: x", kind: .abort)))
        #expect(error.code == .unavailable && error.details.reason == "CONNECTION_ABORTED")
    }

    @Test func aGoAwayWithoutKindClosingAtZeroIsReadAsAnAbort() throws {
        let error = try #require(try failure(after: GoAway(lastCallId: 0, reason: "slow frame")))
        #expect(error.details.reason == "CONNECTION_ABORTED")
    }

    @Test func aKindThisClientDoesNotKnowIsReadAsAnAbort() throws {
        let error = try #require(try failure(after: GoAway(lastCallId: 2, reason: "future", kind: .unrecognized(7))))
        #expect(error.details.reason == "CONNECTION_ABORTED")
    }

    @Test func callsUpToTheLastIDOfADrainKeepWaiting() throws {
        #expect(try failure(after: GoAway(lastCallId: 3, reason: "server shutting down", kind: .drain)) == nil)
    }
}
