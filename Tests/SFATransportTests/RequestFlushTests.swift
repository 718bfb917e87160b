import NIOCore
import NIOEmbedded
import Testing

@testable import SFATransport

/// The client flushes REQUEST frames once per turn of its event loop, so that calls
/// started together share one system call.
@Suite struct RequestFlushTests {
    /// Counts the flushes that pass on their way to the socket.
    private final class FlushCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var flushes = 0

        func flush(context: ChannelHandlerContext) {
            flushes += 1
            context.flush()
        }
    }

    @Test func requestsStartedInOneTurnOfTheLoopLeaveInOrderInOneFlush() throws {
        let channel = EmbeddedChannel()
        let counter = FlushCounter()
        let handler = ClientConnectionHandler(onUnusable: {})
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(handler)
        defer { _ = try? channel.finish() }
        for id in 1...3 {
            handler.start(callID: UInt32(id), frame: ByteBuffer(bytes: [UInt8(id)]), promise: channel.eventLoop.makePromise(), timeout: nil)
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "a frame was flushed before the turn ended")
        channel.embeddedEventLoop.run()
        #expect(counter.flushes == 1)
        var sent: [ByteBuffer] = []
        while let frame = try channel.readOutbound(as: ByteBuffer.self) { sent.append(frame) }
        #expect(sent == [1, 2, 3].map { ByteBuffer(bytes: [$0]) })

        // A call started in a later turn gets a flush of its own.
        handler.start(callID: 4, frame: ByteBuffer(bytes: [4]), promise: channel.eventLoop.makePromise(), timeout: nil)
        channel.embeddedEventLoop.run()
        #expect(counter.flushes == 2)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [4]))
    }
}
