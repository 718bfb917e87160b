import NIOCore
import SFAMessages
import SFARPC

/// The client side of one connection: matches RESPONSE frames to waiting calls by
/// call id, enforces client deadlines, sends CANCEL for calls given up on, answers
/// to PONG, and honours GOAWAY. Confined to the channel's event loop; `RPCConnection`
/// talks to it through the loop.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = FrameDecoderOutput
    typealias OutboundOut = ByteBuffer

    private struct PendingCall {
        var promise: EventLoopPromise<Frame>
        var deadline: Scheduled<Void>?
    }

    private let onUnusable: @Sendable () -> Void
    private var context: ChannelHandlerContext?
    private var pending: [UInt32: PendingCall] = [:]
    private var pings: [UInt32: EventLoopPromise<Void>] = [:]
    /// Set once the server sent GOAWAY: calls above it will not be processed.
    private(set) var goAwayLastCallID: UInt32?
    private(set) var isClosed = false
    /// REQUEST frames leave once per turn of the loop: calls started from many tasks
    /// at once arrive as a run of tasks on the event loop and share one `writev` (a
    /// fixed-rate load, whose calls come one by one, made twice the system calls of a
    /// closed loop when each flushed alone).
    private let flushes = LoopFlush()

    /// - Parameter onUnusable: called once the connection closes or drains.
    init(onUnusable: @escaping @Sendable () -> Void) {
        self.onUnusable = onUnusable
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Calls (on the event loop)

    /// Registers a call and writes its REQUEST frame.
    func start(callID: UInt32, frame: ByteBuffer, promise: EventLoopPromise<Frame>, timeout: TimeAmount?) {
        guard let context, !isClosed, goAwayLastCallID == nil else {
            promise.fail(RPCError(code: .unavailable, message: "the connection is closed or draining"))
            return
        }
        var call = PendingCall(promise: promise, deadline: nil)
        if let timeout {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            call.deadline = context.eventLoop.scheduleTask(in: timeout) {
                loopBound.value.abandon(
                    callID: callID,
                    with: RPCError(code: .deadlineExceeded, message: "the deadline passed before a response arrived")
                )
            }
        }
        pending[callID] = call
        context.write(wrapOutboundOut(frame), promise: nil)
        flushes.queue(on: context.eventLoop) { self.context?.flush() }
    }

    /// Gives up on a call: fails it with `error` and tells the server with CANCEL.
    func abandon(callID: UInt32, with error: RPCError) {
        guard let call = pending.removeValue(forKey: callID) else { return }
        call.deadline?.cancel()
        call.promise.fail(error)
        guard let context else { return }
        var cancel = context.channel.allocator.buffer(capacity: Frame.prefixBytes)
        cancel.writeFrame(Frame(type: .cancel, callID: callID, header: ByteBuffer(), payload: ByteBuffer()))
        context.writeAndFlush(wrapOutboundOut(cancel), promise: nil)
    }

    func ping(callID: UInt32, promise: EventLoopPromise<Void>) {
        guard let context, !isClosed else {
            promise.fail(RPCError(code: .unavailable, message: "the connection is closed"))
            return
        }
        pings[callID] = promise
        var frame = context.channel.allocator.buffer(capacity: Frame.prefixBytes)
        frame.writeFrame(Frame(type: .ping, callID: callID, header: ByteBuffer(), payload: ByteBuffer()))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame: Frame
        switch unwrapInboundIn(data) {
        case .frame(let complete):
            frame = complete
        case .oversized(.response, let callID, let length):
            fail(callID, RPCError(code: .resourceExhausted, message: "the response of \(length) bytes exceeds the client's maximum"))
            return
        case .invalidHeaderLength(.response, let callID):
            fail(callID, RPCError(code: .internalError, message: "the server sent a malformed response frame"))
            return
        default:
            return
        }
        switch frame.type {
        case .response:
            guard let call = pending.removeValue(forKey: frame.callID) else { return }  // abandoned already
            call.deadline?.cancel()
            call.promise.succeed(frame)
        case .pong:
            pings.removeValue(forKey: frame.callID)?.succeed(())
        case .goAway:
            let goAway = (try? GoAway(buffer: frame.header)) ?? GoAway()
            receivedGoAway(goAway)
        default:
            break
        }
    }

    private func fail(_ callID: UInt32, _ error: RPCError) {
        guard let call = pending.removeValue(forKey: callID) else { return }
        call.deadline?.cancel()
        call.promise.fail(error)
    }

    private func receivedGoAway(_ goAway: GoAway) {
        goAwayLastCallID = goAway.lastCallId
        onUnusable()
        // After a drain, calls above last_call_id were not processed and may be retried
        // anywhere. After an abort (or a GOAWAY of an older server closing with last
        // call id 0), the calls in flight were cut short: their effects are unknown.
        // A kind this client does not know is read as the unsafe one.
        let aborted = goAway.kind == .unspecified ? goAway.lastCallId == 0 : goAway.kind != .drain
        let error =
            aborted
            ? RPCError(
                code: .unavailable,
                message: "the server aborted the connection (\(goAway.reason)); the call's effect is unknown",
                details: ErrorDetails(reason: "CONNECTION_ABORTED")
            )
            : RPCError(
                code: .unavailable,
                message: "the server is draining (\(goAway.reason)) and did not process the call",
                details: ErrorDetails(reason: "DRAINING")
            )
        for callID in pending.keys.filter({ $0 > goAway.lastCallId }) {
            let call = pending.removeValue(forKey: callID)!
            call.deadline?.cancel()
            call.promise.fail(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        onUnusable()
        let error = RPCError(code: .unavailable, message: "the connection closed before a response arrived")
        for call in pending.values {
            call.deadline?.cancel()
            call.promise.fail(error)
        }
        pending.removeAll()
        for ping in pings.values { ping.fail(error) }
        pings.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ClientConnectionHandler: Sendable {}
