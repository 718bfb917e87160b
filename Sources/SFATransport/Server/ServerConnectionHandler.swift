public import Logging
public import NIOCore
import SFACodec
import SFAMessages
import SFARPC

/// Asks a connection to drain: send GOAWAY, finish the calls in flight, refuse new
/// ones with UNAVAILABLE, then close. Fire it with
/// `channel.pipeline.fireUserInboundEventTriggered(ServerDrainEvent())`.
public struct ServerDrainEvent: Sendable {
    public init() {}
}

/// Serves the calls of one connection (SPEC §3): dispatches REQUEST frames to their
/// handlers, many at once, answered in the order they finish; enforces deadlines,
/// CANCEL, the in-flight limit, idle and slow-frame timeouts and the maximum
/// connection age; answers PING, up to a rate; drains on `ServerDrainEvent`; and
/// stops reading while the peer does not read its responses or while its calls still
/// hold `maximumRequestBytesInFlight` bytes of requests.
///
/// All state is confined to the channel's event loop; handlers run in their own
/// tasks and hand their response frames back to the loop.
public final class ServerConnectionHandler: ChannelDuplexHandler {
    public typealias InboundIn = FrameDecoderOutput
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private struct InflightCall {
        /// Tells this call from an earlier one that reused its call id.
        var sequence: UInt64
        var task: Task<Void, Never>
        var deadline: Scheduled<Void>?
    }

    private let dispatcher: RPCDispatcher
    private let limits: ConnectionLimits
    private var logger: Logger
    /// The remote address, `host:port`, for the calls' log lines.
    private var peer: String?
    /// The tenants the client's verified certificate is bound to; `nil` without one.
    private var certificateTenants: Set<String>?

    private var context: ChannelHandlerContext?
    private var inflight: [UInt32: InflightCall] = [:]
    private var highestCallID: UInt32 = 0
    private var callSequence: UInt64 = 0
    private var draining = false
    private var slowFrameTimer: Scheduled<Void>?
    private let flushes = LoopFlush()
    private let completed = CompletedCalls()
    private var readPending = false
    /// Bytes of the requests whose tasks have not finished (cancelled ones included:
    /// their task still holds the request until it ends).
    private var requestBytesInFlight = 0
    /// PINGs that may be answered now, and when the bucket was last filled.
    private var pingTokens: Double
    private var pingsCountedAt = NIODeadline.now()
    private var ageTimers: [Scheduled<Void>] = []

    public init(dispatcher: RPCDispatcher, limits: ConnectionLimits, logger: Logger) {
        self.dispatcher = dispatcher
        self.limits = limits
        self.logger = logger
        self.pingTokens = Double(2 * limits.pingsPerSecond)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let remote = context.channel.remoteAddress {
            let host = remote.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "\(remote)"
            peer = remote.port.map { "\(host):\($0)" } ?? host
            logger[metadataKey: "peer"] = "\(peer!)"
        }
        scheduleAgeLimit(context: context)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let output = unwrapInboundIn(data)
        if output != .partialFrameStarted {
            slowFrameTimer?.cancel()
            slowFrameTimer = nil
        }
        switch output {
        case .frame(let frame):
            handle(frame, context: context)
        case .oversized(let type, let callID, let length):
            if type == .request, !isInFlight(callID, context: context) {
                refuse(
                    callID,
                    RPCError(
                        code: .resourceExhausted,
                        message: "frame of \(length) bytes exceeds the maximum of \(limits.maximumFrameSize)",
                        details: ErrorDetails(reason: "FRAME_TOO_LARGE")
                    )
                )
            }
        case .invalidHeaderLength(let type, let callID):
            if type == .request, !isInFlight(callID, context: context) {
                refuse(
                    callID,
                    RPCError(
                        code: .invalidArgument,
                        message: "the header length runs past the end of the frame",
                        details: ErrorDetails(reason: "MALFORMED_HEADER")
                    )
                )
            }
        case .partialFrameStarted:
            startSlowFrameTimer(context: context)
        }
    }

    /// A REQUEST reusing the id of a call in flight is a protocol error: its answer
    /// could not be told from the other call's.
    private func isInFlight(_ callID: UInt32, context: ChannelHandlerContext) -> Bool {
        guard inflight[callID] != nil else { return false }
        protocolError("call id \(callID) is already in flight", context: context)
        return true
    }

    private func handle(_ frame: Frame, context: ChannelHandlerContext) {
        switch frame.type {
        case .request:
            startCall(frame, context: context)
        case .cancel:
            if let call = inflight.removeValue(forKey: frame.callID) {
                call.deadline?.cancel()
                call.task.cancel()
                closeIfDrained()
            }
        case .ping:
            guard takePingToken() else {
                logger.info("closing connection: too many pings")
                goAwayAndClose(reason: "too many pings", kind: inflight.isEmpty ? .drain : .abort)
                return
            }
            var pong = context.channel.allocator.buffer(capacity: Frame.prefixBytes + frame.payload.readableBytes)
            pong.writeFrame(
                Frame(type: .pong, callID: frame.callID, header: ByteBuffer(), payload: frame.payload)
            )
            write(pong)
        default:
            // RESPONSE, PONG and GOAWAY from a client, and reserved types, mean nothing here.
            logger.debug("ignoring frame", metadata: ["frame.type": "\(frame.type)"])
        }
    }

    private func startCall(_ frame: Frame, context: ChannelHandlerContext) {
        let callID = frame.callID
        guard !draining else {
            refuse(
                callID,
                RPCError(
                    code: .unavailable,
                    message: "the server is shutting down; retry on another connection",
                    details: ErrorDetails(reason: "DRAINING")
                )
            )
            return
        }
        guard callID != 0 else {
            refuse(
                callID,
                RPCError(
                    code: .invalidArgument,
                    message: "call id 0 is reserved for connection frames",
                    details: ErrorDetails(reason: "RESERVED_CALL_ID")
                )
            )
            return
        }
        guard !isInFlight(callID, context: context) else { return }
        let header: RequestHeader
        do {
            header = try RequestHeader(buffer: frame.header, maximumSize: limits.maximumFrameSize)
        } catch {
            // A header field that protobuf-c would read differently from a proxy (a
            // string cut at a NUL, a timeout cut to 32 bits) makes the header malformed;
            // the violation names the field.
            let violation = FieldViolation(decoding: error)
            refuse(
                callID,
                RPCError(
                    code: .invalidArgument,
                    message: violation.map { "the request header field \($0.field) \($0.description)" }
                        ?? "the request header is not a valid RequestHeader",
                    details: ErrorDetails(reason: "MALFORMED_HEADER", fieldViolations: violation.map { [$0] } ?? [])
                )
            )
            return
        }
        if let refusal = IncomingCall.idempotencyKeyError(header.idempotencyKey) {
            refuse(callID, refusal)
            return
        }
        // Before the payload is decoded: a request larger than its kind of method needs
        // costs nothing more than its frame.
        if let refusal = limits.requestSizes.refusal(method: header.method, size: frame.payload.readableBytes) {
            refuse(callID, refusal)
            return
        }
        guard inflight.count < limits.maximumConcurrentCalls else {
            refuse(
                callID,
                RPCError(
                    code: .resourceExhausted,
                    message: "\(limits.maximumConcurrentCalls) calls are in flight on this connection already",
                    details: ErrorDetails(reason: "TOO_MANY_CALLS_IN_FLIGHT", retryAfterMs: 50)
                )
            )
            return
        }
        highestCallID = max(highestCallID, callID)

        let timeout = header.timeoutMs > 0 ? TimeAmount.milliseconds(Int64(header.timeoutMs)) : nil
        let call = IncomingCall(
            callID: callID,
            method: header.method,
            deadline: header.timeoutMs > 0 ? .now + .milliseconds(header.timeoutMs) : nil,
            idempotencyKey: header.idempotencyKey.isEmpty ? nil : header.idempotencyKey,
            metadata: header.metadata,
            authorization: header.authorization.isEmpty ? nil : header.authorization,
            peer: peer,
            certificateTenants: certificateTenants
        )
        let dispatcher = self.dispatcher
        let payload = frame.payload
        let allocator = context.channel.allocator
        let eventLoop = context.eventLoop
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        callSequence += 1
        let sequence = callSequence
        let maximumSize = limits.maximumFrameSize
        let completed = self.completed
        let requestBytes = frame.header.readableBytes + payload.readableBytes
        requestBytesInFlight += requestBytes
        let task = Task {
            let response = await dispatcher.execute(call, payload: payload, maximumSize: maximumSize, allocator: allocator)
            let completion = CompletedCalls.Completion(callID: callID, sequence: sequence, response: response, requestBytes: requestBytes)
            if completed.add(completion) {
                eventLoop.execute { loopBound.value.finishCompletedCalls() }
            }
        }
        let deadline = timeout.map { timeout in
            eventLoop.scheduleTask(in: timeout) { loopBound.value.deadlineExceeded(callID, sequence: sequence) }
        }
        inflight[callID] = InflightCall(sequence: sequence, task: task, deadline: deadline)
    }

    private func finishCompletedCalls() {
        for completion in completed.drain() {
            requestBytesInFlight -= completion.requestBytes
            finish(completion.callID, sequence: completion.sequence, response: completion.response)
        }
        resumeReadingIfAllowed()
    }

    /// A handler finished: send its response, unless the call already ended.
    private func finish(_ callID: UInt32, sequence: UInt64, response: ByteBuffer) {
        guard inflight[callID]?.sequence == sequence, let call = inflight.removeValue(forKey: callID) else { return }
        call.deadline?.cancel()
        write(response)
        closeIfDrained()
    }

    private func deadlineExceeded(_ callID: UInt32, sequence: UInt64) {
        guard inflight[callID]?.sequence == sequence, let call = inflight.removeValue(forKey: callID) else { return }
        call.task.cancel()
        respond(callID, RPCDispatcher.deadlineExceeded)
        closeIfDrained()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ServerDrainEvent:
            startDraining(reason: "server shutting down")
        case let binding as ClientCertificateTenants:
            certificateTenants = binding.binds ? binding.tenantIDs : nil
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            if inflight.isEmpty {
                logger.debug("closing idle connection")
                // Nothing is in flight: nothing was cut short.
                goAwayAndClose(reason: "idle timeout", kind: .drain)
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? FrameDecodingError {
            protocolError("\(error)", context: context)
        } else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        for call in inflight.values {
            call.deadline?.cancel()
            call.task.cancel()
        }
        inflight.removeAll()
        slowFrameTimer?.cancel()
        for timer in ageTimers { timer.cancel() }
        context.fireChannelInactive()
    }

    // MARK: Backpressure: no reading while the peer is not reading or its calls hold too much

    private var mayRead: Bool {
        guard let context else { return false }
        return context.channel.isWritable && requestBytesInFlight < limits.maximumRequestBytesInFlight
    }

    public func read(context: ChannelHandlerContext) {
        if mayRead {
            context.read()
        } else {
            readPending = true
        }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReadingIfAllowed()
        context.fireChannelWritabilityChanged()
    }

    private func resumeReadingIfAllowed() {
        if readPending, mayRead {
            readPending = false
            context?.read()
        }
    }

    // MARK: Draining, timeouts, protocol errors

    private func startDraining(reason: String) {
        guard !draining else { return }
        draining = true
        sendGoAway(reason: reason, kind: .drain)
        closeIfDrained()
    }

    private func closeIfDrained() {
        if draining, inflight.isEmpty, let context {
            context.flush()  // the last responses, before the close drops unflushed writes
            context.close(promise: nil)
        }
    }

    /// A PING token, if the bucket has one (refilled at `pingsPerSecond`).
    private func takePingToken() -> Bool {
        let now = NIODeadline.now()
        let elapsed = Double((now - pingsCountedAt).nanoseconds) / 1e9
        pingsCountedAt = now
        pingTokens = min(Double(2 * limits.pingsPerSecond), pingTokens + elapsed * Double(limits.pingsPerSecond))
        guard pingTokens >= 1 else { return false }
        pingTokens -= 1
        return true
    }

    /// Drains the connection at its maximum age (less up to 10% at random), and closes
    /// it once the grace period has passed too.
    private func scheduleAgeLimit(context: ChannelHandlerContext) {
        guard let age = limits.maximumConnectionAge else { return }
        let jittered = TimeAmount.nanoseconds(Int64(Double(age.nanoseconds) * Double.random(in: 0.9...1)))
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        ageTimers = [
            context.eventLoop.scheduleTask(in: jittered) {
                loopBound.value.startDraining(reason: "maximum connection age")
            },
            context.eventLoop.scheduleTask(in: jittered + limits.maximumConnectionAgeGrace) {
                loopBound.value.context?.close(promise: nil)
            },
        ]
    }

    private func startSlowFrameTimer(context: ChannelHandlerContext) {
        guard slowFrameTimer == nil else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        slowFrameTimer = context.eventLoop.scheduleTask(in: limits.slowFrameTimeout) {
            let handler = loopBound.value
            handler.logger.info("closing connection: a frame did not arrive in time")
            handler.dispatcher.frameRefused(reason: "SLOW_FRAME")
            handler.goAwayAndClose(reason: "slow frame", kind: .abort)
        }
    }

    private func protocolError(_ message: String, context: ChannelHandlerContext) {
        logger.info("closing connection: protocol error", metadata: ["error": "\(message)"])
        dispatcher.frameRefused(reason: "PROTOCOL_ERROR")
        goAwayAndClose(reason: "protocol error: \(message)", kind: .abort)
    }

    /// Closes at once: the GOAWAY promises no call (last call id 0), since the calls
    /// in flight are cancelled by the close (`kind` says whether there were any).
    private func goAwayAndClose(reason: String, kind: GoAwayKind) {
        draining = true
        sendGoAway(reason: reason, kind: kind, lastCallID: 0)
        context?.close(promise: nil)
    }

    private func sendGoAway(reason: String, kind: GoAwayKind, lastCallID: UInt32? = nil) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeFrame(
            type: .goAway,
            callID: 0,
            header: GoAway(lastCallId: lastCallID ?? highestCallID, reason: reason, kind: kind),
            payload: Optional<GoAway>.none
        )
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    // MARK: Writing

    /// Answers a REQUEST the connection will not dispatch, and counts it by reason.
    private func refuse(_ callID: UInt32, _ error: RPCError) {
        dispatcher.frameRefused(reason: error.details.reason)
        respond(callID, error)
    }

    private func respond(_ callID: UInt32, _ error: RPCError) {
        guard let context else { return }
        write(RPCDispatcher.errorFrame(callID: callID, error, allocator: context.channel.allocator))
    }

    /// Writes now and flushes once per event-loop tick, so that responses finishing
    /// together leave in one system call.
    private func write(_ buffer: ByteBuffer) {
        guard let context else { return }
        context.write(wrapOutboundOut(buffer), promise: nil)
        flushes.queue(on: context.eventLoop) { self.context?.flush() }
    }
}

@available(*, unavailable)
extension ServerConnectionHandler: Sendable {}
