public import Logging
import NIOCore
import SFACodec
import SFAMessages
public import SFARPC

/// A REQUEST as the connection read it, before it is admitted and dispatched.
struct IncomingCall: Sendable {
    var callID: UInt32
    var method: String
    var deadline: ContinuousClock.Instant?
    var idempotencyKey: String?
    var metadata: [String: String]
    var authorization: String?
    /// The remote address, `host:port`, for logs.
    var peer: String?
    /// The tenants the connection's client certificate is bound to; `nil` when it
    /// has none, or one that names no tenant.
    var certificateTenants: Set<String>? = nil
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
        guard !observers.isEmpty else {
            return await respond(to: call, payload: payload, maximumSize: maximumSize, allocator: allocator).frame
        }
        let start = ContinuousClock.now
        for observer in observers { observer.callStarted() }
        let outcome = await respond(to: call, payload: payload, maximumSize: maximumSize, allocator: allocator)
        let end = ContinuousClock.now
        var status = outcome.error?.code ?? .ok
        // The connection answered DEADLINE_EXCEEDED when the deadline cancelled the work.
        if status == .cancelled, let deadline = call.deadline, end >= deadline { status = .deadlineExceeded }
        let finished = FinishedCall(
            // Only served names: a made-up one must not become a metric label.
            method: handlers[call.method] == nil ? nil : call.method,
            callID: call.callID,
            status: status,
            reason: outcome.error?.details.reason ?? "",
            message: outcome.error?.message ?? "",
            duration: end - start,
            principal: outcome.principal,
            peer: call.peer,
            traceparent: call.metadata["traceparent"].flatMap(TraceParent.init)
        )
        for observer in observers { observer.callFinished(finished) }
        return outcome.frame
    }

    /// How a call ended: its RESPONSE frame, the error if it failed, and the caller
    /// if the gate admitted it.
    private struct Outcome {
        var frame: ByteBuffer
        var error: RPCError?
        var principal: Principal?
    }

    private func respond(
        to call: IncomingCall,
        payload: ByteBuffer,
        maximumSize: Int,
        allocator: ByteBufferAllocator
    ) async -> Outcome {
        func failure(_ error: RPCError, _ principal: Principal? = nil) -> Outcome {
            Outcome(frame: Self.errorFrame(callID: call.callID, error, allocator: allocator), error: error, principal: principal)
        }
        var principal: Principal?
        if let gate {
            do {
                principal = try await gate.admit(method: call.method, authorization: call.authorization)
            } catch {
                return failure(RPCError(mapping: error))
            }
            if let bound = call.certificateTenants, let caller = principal, !caller.keyID.isEmpty, !bound.contains(caller.tenantID ?? "") {
                let error = RPCError(
                    code: .permissionDenied,
                    message: "this connection's client certificate is bound to other tenants than the key's",
                    details: ErrorDetails(reason: "CERTIFICATE_TENANT_MISMATCH")
                )
                return failure(error, caller)
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
            var buffer = allocator.buffer(capacity: 64)
            buffer.writeFrame(type: .response, callID: context.callID, header: ResponseHeader(), payload: response)
            return Outcome(frame: buffer, principal: principal)
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

    /// A RESPONSE frame carrying `error` and no payload.
    static func errorFrame(callID: UInt32, _ error: RPCError, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64 + error.message.utf8.count)
        var details = error.details
        if details.domain.isEmpty { details.domain = "saleswire.sfa" }
        let header = ResponseHeader(status: error.code.rawValue, message: error.message, details: details, metadata: error.metadata)
        buffer.writeFrame(type: .response, callID: callID, header: header, payload: Optional<ResponseHeader>.none)
        return buffer
    }
}
