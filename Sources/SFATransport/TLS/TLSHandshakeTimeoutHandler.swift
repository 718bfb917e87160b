public import NIOCore
import NIOTLS

/// Closes a server connection whose TLS handshake has not completed within `timeout`
/// of its accept, then removes itself. The idle timeout cannot do this: a client
/// sending a handshake byte at a time resets it and would hold a connection slot for
/// as long as the idle timeout, or forever. Added right after the TLS handler.
public final class TLSHandshakeTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    public init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Passed on before leaving the pipeline: a removed context forwards nothing, and
        // the handlers after this one read the client's certificate from this event.
        context.fireUserInboundEventTriggered(event)
        if case TLSUserEvent.handshakeCompleted = event {
            deadline?.cancel()
            deadline = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }
}
