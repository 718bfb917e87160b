public import SFACodec

/// One method of a service, with its request decoding and its handler erased to
/// `any ProtoMessage`, so that a server can dispatch by method name.
/// Generated service protocols build these; see ``RPCService``.
public struct RPCMethodHandler: Sendable {
    /// The method served.
    public let method: MethodDescriptor
    private let decode: @Sendable (UnsafeRawBufferPointer, Int) throws(ProtoCodecError) -> any ProtoMessage
    private let handle: @Sendable (any ProtoMessage, ServerContext) async throws -> any ProtoMessage

    /// Wraps a typed handler.
    public init<Request: ProtoMessage, Response: ProtoMessage>(
        method: MethodDescriptor,
        handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        // Checked when a server is built, so a mistyped handler fails at start-up.
        precondition(Request.protoName == method.inputType, "\(method) takes \(method.inputType), not \(Request.protoName)")
        precondition(Response.protoName == method.outputType, "\(method) answers \(method.outputType), not \(Response.protoName)")
        self.method = method
        self.decode = { bytes, maximumSize throws(ProtoCodecError) in
            try Request(serializedBytes: bytes, maximumSize: maximumSize)
        }
        self.handle = { request, context in
            // `decode` above made this request, so the cast cannot fail.
            try await handler(request as! Request, context)
        }
    }

    /// Decodes a request payload for this method.
    public func decodeRequest(
        _ bytes: UnsafeRawBufferPointer,
        maximumSize: Int = ProtoLimits.defaultMaximumMessageSize
    ) throws(ProtoCodecError) -> any ProtoMessage {
        try decode(bytes, maximumSize)
    }

    /// Runs the handler on a request made by ``decodeRequest(_:maximumSize:)``.
    public func handle(_ request: any ProtoMessage, context: ServerContext) async throws -> any ProtoMessage {
        try await handle(request, context)
    }
}

/// A service implementation a server can host: generated `…Handler` protocols
/// refine it and supply ``methodHandlers`` for every method of the service.
public protocol RPCService: Sendable {
    /// One handler per method of the service.
    var methodHandlers: [RPCMethodHandler] { get }
}

extension [RPCMethodHandler] {
    /// These handlers, with each of `replacements` in place of the one for its method.
    /// Every replacement must be for a method of these handlers (checked at start-up).
    public func replacing(_ replacements: [RPCMethodHandler]) -> [RPCMethodHandler] {
        let replaced = Dictionary(replacements.map { ($0.method.fullName, $0) }, uniquingKeysWith: { _, last in last })
        let unmatched = Set(replaced.keys).subtracting(map(\.method.fullName))
        precondition(unmatched.isEmpty, "replacements for methods not served here: \(unmatched.sorted())")
        return map { replaced[$0.method.fullName] ?? $0 }
    }
}
