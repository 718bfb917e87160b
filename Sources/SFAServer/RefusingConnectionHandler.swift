import NIOCore
import SFAStubs
import SFATransport

/// Tells a connection the server cannot take it — GOAWAY with last call id 0 and the
/// reason — as soon as it is active, then closes it.
final class RefusingConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let reason: String

    init(reason: String) {
        self.reason = reason
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeFrame(
            type: .goAway,
            callID: 0,
            // Nothing on this connection was processed.
            header: GoAway(lastCallId: 0, reason: reason, kind: .drain),
            payload: Optional<GoAway>.none
        )
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Whatever the peer sends before the close is dropped.
    }
}
