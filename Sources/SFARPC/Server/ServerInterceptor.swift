public import SFACodec

/// Cross-cutting work around every call a server handles: logging, metrics,
/// authentication, authorization. Interceptors run in the order the server was given
/// them, the first outermost; each calls `next` to go on, or throws to stop the call.
public protocol ServerInterceptor: Sendable {
    func intercept(
        _ request: any ProtoMessage,
        context: ServerContext,
        next: @Sendable (any ProtoMessage, ServerContext) async throws -> any ProtoMessage
    ) async throws -> any ProtoMessage
}

extension RPCMethodHandler {
    /// Runs `request` through `interceptors` and then this handler.
    public func handle(
        _ request: any ProtoMessage,
        context: ServerContext,
        interceptors: [any ServerInterceptor]
    ) async throws -> any ProtoMessage {
        try await Self.chain(interceptors[...], handler: self)(request, context)
    }

    private static func chain(
        _ interceptors: ArraySlice<any ServerInterceptor>,
        handler: RPCMethodHandler
    ) -> @Sendable (any ProtoMessage, ServerContext) async throws -> any ProtoMessage {
        guard let first = interceptors.first else {
            return { request, context in try await handler.handle(request, context: context) }
        }
        let rest = chain(interceptors.dropFirst(), handler: handler)
        return { request, context in try await first.intercept(request, context: context, next: rest) }
    }
}
