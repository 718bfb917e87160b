public import NIOCore
public import NIOPosix
public import SFACodec
import SFAMessages
public import SFARPC
import Synchronization

/// One client connection to a SalesWire server. Calls are multiplexed on it by call
/// id and may complete in any order. Cancelling the Swift task of a call sends CANCEL;
/// a deadline fails the call with DEADLINE_EXCEEDED and sends CANCEL.
///
/// `RPCClient` (in SFAClient) adds pooling, reconnection and retries on top.
public final class RPCConnection: RPCCaller, Sendable {
    /// An executor on this connection's event loop: tasks that prefer it make their
    /// calls without changing thread (``EventLoopTaskExecutor``).
    public let taskExecutor: EventLoopTaskExecutor

    private let channel: any Channel
    private let handler: NIOLoopBound<ClientConnectionHandler>
    private let nextCallID = Atomic<UInt32>(0)
    private let authorization: String?
    private let usable: UsableFlag
    private let maximumFrameSize: Int

    /// Cleared by the connection handler when the connection closes or drains.
    private final class UsableFlag: Sendable {
        let value = Atomic<Bool>(true)
    }

    private init(
        channel: any Channel,
        handler: NIOLoopBound<ClientConnectionHandler>,
        usable: UsableFlag,
        apiKey: String?,
        maximumFrameSize: Int
    ) {
        self.maximumFrameSize = maximumFrameSize
        self.channel = channel
        self.taskExecutor = EventLoopTaskExecutor(channel.eventLoop)
        self.handler = handler
        self.usable = usable
        self.authorization = apiKey.map { "Bearer \($0)" }
    }

    /// Opens a connection.
    ///
    /// - Parameters:
    ///   - apiKey: sent as `authorization: Bearer <key>` with every call.
    ///   - maximumFrameSize: the largest response frame accepted.
    ///   - tls: speak TLS with this context; `nil` for plaintext.
    /// - Throws: ``RPCError`` `UNAVAILABLE` when the server cannot be reached or the
    ///   TLS handshake fails (a server certificate the CAs did not sign, a client
    ///   certificate the server refused, a server not speaking TLS).
    public static func connect(
        host: String,
        port: Int,
        apiKey: String? = nil,
        maximumFrameSize: Int = 4 * 1024 * 1024,
        tls: ClientTLS? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RPCConnection {
        let usable = UsableFlag()
        // Completed by the handshake, at once without TLS, or failed when the
        // connection is not made (a promise must not be left pending).
        let handshake = group.any().makePromise(of: Void.self)
        do {
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandlers(
                                try tls.makeHandler(host: host),
                                TLSHandshakeWaiter(promise: handshake)
                            )
                        } else {
                            handshake.succeed()
                        }
                        try channel.pipeline.syncOperations.addHandlers(
                            ByteToMessageHandler(FrameDecoder(maximumFrameSize: maximumFrameSize)),
                            ClientConnectionHandler { usable.value.store(false, ordering: .releasing) }
                        )
                    }
                }
                .connect(host: host, port: port)
                .get()
            do {
                try await handshake.futureResult.get()
            } catch {
                try? await channel.close()
                throw RPCError(
                    code: .unavailable,
                    message: "TLS handshake with \(host):\(port) failed: \(error)",
                    details: ErrorDetails(reason: "TLS_HANDSHAKE_FAILED")
                )
            }
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self), eventLoop: channel.eventLoop)
            }.get()
            return RPCConnection(channel: channel, handler: handler, usable: usable, apiKey: apiKey, maximumFrameSize: maximumFrameSize)
        } catch let error as RPCError {
            throw error
        } catch {
            handshake.fail(error)
            throw RPCError(code: .unavailable, message: "cannot connect to \(host):\(port): \(error)")
        }
    }

    /// False once the connection closed or the server sent GOAWAY: open a new one.
    public var isUsable: Bool {
        usable.value.load(ordering: .acquiring)
    }

    /// The next call id: unique among this connection's calls in flight, increasing,
    /// never 0 (reserved for connection frames).
    private func makeCallID() -> UInt32 {
        while true {
            let id = nextCallID.wrappingAdd(1, ordering: .relaxed).newValue
            if id != 0 { return id }
        }
    }

    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        request: Request,
        responseType: Response.Type,
        options: CallOptions
    ) async throws -> Response {
        let callID = makeCallID()
        let timeoutMilliseconds = options.timeout.map(Self.milliseconds)
        let header = RequestHeader(
            method: method.fullName,
            timeoutMs: timeoutMilliseconds.map { UInt32(clamping: $0) } ?? 0,
            authorization: options.apiKey.map { "Bearer \($0)" } ?? authorization ?? "",
            idempotencyKey: options.idempotencyKey ?? "",
            metadata: options.metadata
        )
        var buffer = channel.allocator.buffer(capacity: 256)
        buffer.writeFrame(type: .request, callID: callID, header: header, payload: request)
        let frame = buffer

        let eventLoop = channel.eventLoop
        let promise = eventLoop.makePromise(of: Frame.self)
        let handler = self.handler
        let response = try await withTaskCancellationHandler {
            eventLoop.execute {
                handler.value.start(
                    callID: callID,
                    frame: frame,
                    promise: promise,
                    timeout: timeoutMilliseconds.map { .milliseconds($0) }
                )
            }
            return try await promise.futureResult.get()
        } onCancel: {
            eventLoop.execute {
                handler.value.abandon(callID: callID, with: RPCError(code: .cancelled, message: "the call was cancelled"))
            }
        }
        return try Self.decode(response, as: Response.self, maximumSize: maximumFrameSize)
    }

    /// Sends PING and waits for PONG; returns the round-trip time.
    public func ping() async throws -> Duration {
        let start = ContinuousClock.now
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let callID = makeCallID()
        let handler = self.handler
        channel.eventLoop.execute { handler.value.ping(callID: callID, promise: promise) }
        try await promise.futureResult.get()
        return ContinuousClock.now - start
    }

    /// Closes the connection; calls still waiting fail with UNAVAILABLE.
    public func close() async {
        try? await channel.close()
    }

    private static func decode<Response: ProtoMessage>(_ frame: Frame, as _: Response.Type, maximumSize: Int) throws -> Response {
        let header: ResponseHeader
        do {
            header = try ResponseHeader(buffer: frame.header, maximumSize: maximumSize)
        } catch {
            throw RPCError(code: .internalError, message: "the server sent an undecodable response header")
        }
        guard header.status == 0 else {
            throw RPCError(
                code: StatusCode(rawValue: header.status),
                message: header.message,
                details: header.details ?? ErrorDetails(),
                metadata: header.metadata
            )
        }
        do {
            return try Response(buffer: frame.payload, maximumSize: maximumSize)
        } catch {
            throw RPCError(code: .internalError, message: "the server sent an undecodable \(Response.protoName)")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
