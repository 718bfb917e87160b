public import SFACodec

/// Something that can make a unary call: a connection, a pool, a test double.
/// Generated client stubs call through it.
public protocol RPCCaller: Sendable {
    /// Sends `request` to `method` and returns the decoded response.
    ///
    /// - Throws: ``RPCError`` with the status the server answered, or a
    ///   client-side status (`DEADLINE_EXCEEDED`, `UNAVAILABLE`, `CANCELLED`).
    func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        request: Request,
        responseType: Response.Type,
        options: CallOptions
    ) async throws -> Response
}
