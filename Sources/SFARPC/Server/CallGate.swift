/// Decides whether a call may go ahead, before its method is looked up or its
/// request decoded: authentication and authorization. A refused caller learns
/// nothing about which methods exist.
public protocol CallGate: Sendable {
    /// Returns who is calling, or throws an ``RPCError`` — UNAUTHENTICATED for a
    /// missing or bad key, PERMISSION_DENIED for a key without the permission.
    ///
    /// - Parameters:
    ///   - method: the full method name from the request header.
    ///   - authorization: the `authorization` header, e.g. `Bearer <key>`.
    func admit(method: String, authorization: String?) async throws -> Principal
}
