public import Logging
public import NIOCore
public import SFACodec
public import SFAMessages
public import SFARPC

/// A call as a transport read it, before it is admitted and dispatched: a REQUEST
/// frame's header, or a gRPC call's metadata (SFAGRPC).
public struct IncomingCall: Sendable {
    public var callID: UInt32
    public var method: String
    public var deadline: ContinuousClock.Instant?
    public var idempotencyKey: String?
    public var metadata: [String: String]
    public var authorization: String?
    /// The remote address, `host:port`, for logs.
    public var peer: String?
    /// The tenants the connection's client certificate is bound to; `nil` when it
    /// has none, or one that names no tenant.
    public var certificateTenants: Set<String>?

    public init(
        callID: UInt32,
        method: String,
        deadline: ContinuousClock.Instant?,
        idempotencyKey: String?,
        metadata: [String: String],
        authorization: String?,
        peer: String?,
        certificateTenants: Set<String>? = nil
    ) {
        self.callID = callID
        self.method = method
        self.deadline = deadline
        self.idempotencyKey = idempotencyKey
        self.metadata = metadata
        self.authorization = authorization
        self.peer = peer
        self.certificateTenants = certificateTenants
    }

    /// The refusal of an idempotency key that is not one (longer than 128 bytes, or
    /// with a byte outside printable ASCII), which every transport answers before
    /// dispatch; nil for a good key.
    public static func idempotencyKeyError(_ key: String) -> RPCError? {
        guard key.utf8.count > 128 || !key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return RPCError.invalidArgument(
            "the idempotency key is not valid",
            violations: [FieldViolation("idempotency_key", .invalidFormat, "use at most 128 printable ASCII characters, no spaces")]
        )
    }
}

/// The services a server hosts, by method name, with the gate, interceptors and
/// observers every call goes through. Shared by all connections.
public struct RPCDispatcher: Sendable {
    private let handlers: [String: RPCMethodHandler]
    private let gate: (any CallGate)?
    private let limiter: CallLimiter
    private let interceptors: [any ServerInterceptor]
    private let observers: [any CallObserver]
    private let logger: Logger

    /// - Parameters:
    ///   - gate: admits calls before their method is looked up; `nil` admits every call.
    ///   - limiter: holds each admitted caller's tenant and key to their call limits.
    ///   - interceptors: run around the handler of each admitted call, first outermost.
    ///   - observers: told of every call and every refused frame (statistics, logs, metrics).
    /// - Precondition: no method is served twice.
    public init(
        services: [any RPCService],
        gate: (any CallGate)?,
        limiter: CallLimiter,
        interceptors: [any ServerInterceptor] = [],
        observers: [any CallObserver] = [],
        logger: Logger
    ) {
        var handlers: [String: RPCMethodHandler] = [:]
        for service in services {
            for handler in service.methodHandlers {
                precondition(handlers[handler.method.fullName] == nil, "\(handler.method) is served twice")
                handlers[handler.method.fullName] = handler
            }
        }
        self.handlers = handlers
        self.gate = gate
        self.limiter = limiter
        self.interceptors = interceptors
        self.observers = observers
        self.logger = logger
    }

    /// Every method served.
    public var methods: [MethodDescriptor] { handlers.values.map(\.method) }

    /// Tells the observers that the connection refused a frame before dispatch.
    func frameRefused(reason: String) {
        for observer in observers { observer.frameRefused(reason: reason) }
    }

    /// Admits the call, holds it to its tenant's and key's limits, finds its method,
    /// decodes the request, runs the interceptors and the handler, and returns the
    /// whole RESPONSE frame: the response, or the error the call ended with. The
    /// observers see the call start and end.
    func execute(
        _ call: IncomingCall,
        payload: ByteBuffer,
        maximumSize: Int,
        allocator: ByteBufferAllocator
    ) async -> ByteBuffer {
        switch await dispatch(call, payload: payload, maximumSize: maximumSize) {
        case .success(let response):
            var buffer = allocator.buffer(capacity: 64)
            buffer.writeFrame(type: .response, callID: call.callID, header: ResponseHeader(), payload: response)
            return buffer
        case .failure(let error):
            return Self.errorFrame(callID: call.callID, error, allocator: allocator)
        }
    }

    /// What ``execute(_:payload:maximumSize:allocator:)`` does, for a transport that
    /// writes the outcome its own way (the gRPC endpoint): the response message, or
    /// the error the call ended with. The observers see the call start and end.
    public func dispatch(_ call: IncomingCall, payload: ByteBuffer, maximumSize: Int) async -> Result<any ProtoMessage, RPCError> {
        guard !observers.isEmpty else {
            return await respond(to: call, payload: payload, maximumSize: maximumSize).result
        }
        let start = ContinuousClock.now
        for observer in observers { observer.callStarted() }
        let outcome = await respond(to: call, payload: payload, maximumSize: maximumSize)
        let end = ContinuousClock.now
        let error = outcome.result.error
        var status = error?.code ?? .ok
        // The transport answered DEADLINE_EXCEEDED when the deadline cancelled the work.
        if status == .cancelled, let deadline = call.deadline, end >= deadline { status = .deadlineExceeded }
        let finished = FinishedCall(
            // Only served names: a made-up one must not become a metric label.
            method: handlers[call.method] == nil ? nil : call.method,
            callID: call.callID,
            status: status,
            reason: error?.details.reason ?? "",
            message: error?.message ?? "",
            duration: end - start,
            principal: outcome.principal,
            peer: call.peer,
            traceparent: call.metadata["traceparent"].flatMap(TraceParent.init)
        )
        for observer in observers { observer.callFinished(finished) }
        return outcome.result
    }

    /// How a call ended, and the caller if the gate admitted it.
    private struct Outcome {
        var result: Result<any ProtoMessage, RPCError>
        var principal: Principal?
    }

    private func respond(to call: IncomingCall, payload: ByteBuffer, maximumSize: Int) async -> Outcome {
        func failure(_ error: RPCError, _ principal: Principal? = nil) -> Outcome {
            Outcome(result: .failure(error), principal: principal)
        }
        var principal: Principal?
        if let gate {
            do {
                principal = try await gate.admit(
                    method: call.method,
                    authorization: call.authorization,
                    certificateTenants: call.certificateTenants
                )
            } catch {
                return failure(RPCError(mapping: error))
            }
        }
        // Before anything costs: a caller over its limits gets RESOURCE_EXHAUSTED
        // with a retry hint, and the call does not start.
        let permit: CallLimiter.Permit
        do {
            permit = try limiter.start(principal)
        } catch {
            return failure(RPCError(mapping: error), principal)
        }
        defer { permit.end() }
        guard let handler = handlers[call.method] else {
            let error = RPCError(
                code: .unimplemented,
                message: "unknown method \(call.method)",
                details: ErrorDetails(reason: "UNKNOWN_METHOD")
            )
            return failure(error, principal)
        }
        let context = ServerContext(
            method: handler.method,
            callID: call.callID,
            deadline: call.deadline,
            idempotencyKey: call.idempotencyKey,
            metadata: call.metadata,
            authorization: call.authorization,
            principal: principal
        )
        let request: any ProtoMessage
        do {
            request = try payload.withUnsafeReadableBytes { bytes throws(ProtoCodecError) in
                try handler.decodeRequest(bytes, maximumSize: maximumSize)
            }
        } catch {
            return failure(RPCError(decodingPayload: error, inputType: handler.method.inputType), principal)
        }
        do {
            let response = try await handler.handle(request, context: context, interceptors: interceptors)
            return Outcome(result: .success(response), principal: principal)
        } catch {
            let rpcError = RPCError(mapping: error)
            if rpcError.code == .internalError, !(error is any RPCErrorConvertible) {
                logger.error(
                    "handler threw an error that maps to no status",
                    metadata: ["rpc.method": "\(handler.method)", "rpc.call_id": "\(context.callID)", "error": "\(error)"]
                )
            }
            return failure(rpcError, principal)
        }
    }

    /// DEADLINE_EXCEEDED as every transport answers a call whose deadline passed: at
    /// once, the work cancelled.
    public static var deadlineExceeded: RPCError {
        RPCError(
            code: .deadlineExceeded,
            message: "the deadline passed before the call finished",
            details: ErrorDetails(reason: "DEADLINE_EXCEEDED")
        )
    }

    /// The details an error is answered with: its own, in the `saleswire.sfa` domain
    /// unless it names another.
    public static func answeredDetails(_ error: RPCError) -> ErrorDetails {
        var details = error.details
        if details.domain.isEmpty { details.domain = "saleswire.sfa" }
        return details
    }

    /// A RESPONSE frame carrying `error` and no payload.
    static func errorFrame(callID: UInt32, _ error: RPCError, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64 + error.message.utf8.count)
        let header = ResponseHeader(status: error.code.rawValue, message: error.message, details: answeredDetails(error), metadata: error.metadata)
        buffer.writeFrame(type: .response, callID: callID, header: header, payload: Optional<ResponseHeader>.none)
        return buffer
    }
}

extension Result where Failure == RPCError {
    /// The error, if the call failed.
    fileprivate var error: RPCError? {
        if case .failure(let error) = self { error } else { nil }
    }
}
