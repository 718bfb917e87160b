import NIOCore
import NIOTLS

/// Completes its promise when the client's TLS handshake does, or fails it with the
/// handshake's error, so that a connection reports a wrong CA or a refused
/// certificate when it opens instead of failing its first call. Removes itself then.
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let promise: EventLoopPromise<Void>
    private var completed = false

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            complete(.success(()))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(ChannelError.ioOnClosedChannel))
        context.fireChannelInactive()
    }

    /// The first outcome counts: a failed handshake is reported, then the channel closes.
    private func complete(_ result: Result<Void, any Error>) {
        guard !completed else { return }
        completed = true
        promise.completeWith(result)
    }
}
