public import Logging
import NIOCore
import SFACodec
import SFAMessages
public import SFARPC

/// The services a server hosts, by method name, with the interceptors every call
/// goes through. Shared by all connections.
public struct RPCDispatcher: Sendable {
    private let handlers: [String: RPCMethodHandler]
    private let interceptors: [any ServerInterceptor]
    private let logger: Logger

    /// - Precondition: no method is served twice.
    public init(services: [any RPCService], interceptors: [any ServerInterceptor], logger: Logger) {
        var handlers: [String: RPCMethodHandler] = [:]
        for service in services {
            for handler in service.methodHandlers {
                precondition(handlers[handler.method.fullName] == nil, "\(handler.method) is served twice")
                handlers[handler.method.fullName] = handler
            }
        }
        self.handlers = handlers
        self.interceptors = interceptors
        self.logger = logger
    }

    /// Every method served.
    public var methods: [MethodDescriptor] { handlers.values.map(\.method) }

    /// The handler for a full method name (`/sfa.v1.LeadService/GetLead`).
    public func handler(for method: String) -> RPCMethodHandler? {
        handlers[method]
    }

    /// Decodes the request, runs the interceptors and the handler, and returns the
    /// whole RESPONSE frame: the response, or the error the call ended with.
    func execute(
        _ handler: RPCMethodHandler,
        payload: ByteBuffer,
        maximumSize: Int,
        context: ServerContext,
        allocator: ByteBufferAllocator
    ) async -> ByteBuffer {
        let request: any ProtoMessage
        do {
            request = try payload.withUnsafeReadableBytes { bytes throws(ProtoCodecError) in
                try handler.decodeRequest(bytes, maximumSize: maximumSize)
            }
        } catch {
            return Self.errorFrame(
                callID: context.callID,
                RPCError(
                    code: .invalidArgument,
                    message: "the request payload is not a valid \(handler.method.inputType)",
                    details: ErrorDetails(reason: "MALFORMED_PAYLOAD")
                ),
                allocator: allocator
            )
        }
        do {
            let response = try await handler.handle(request, context: context, interceptors: interceptors)
            var buffer = allocator.buffer(capacity: 64)
            buffer.writeFrame(type: .response, callID: context.callID, header: ResponseHeader(), payload: response)
            return buffer
        } catch {
            let rpcError = RPCError(mapping: error)
            if rpcError.code == .internalError, !(error is any RPCErrorConvertible) {
                logger.error(
                    "handler threw an error that maps to no status",
                    metadata: ["rpc.method": "\(handler.method)", "rpc.call_id": "\(context.callID)", "error": "\(error)"]
                )
            }
            return Self.errorFrame(callID: context.callID, rpcError, allocator: allocator)
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
