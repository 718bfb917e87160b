/// Decides whether a call may go ahead, before its method is looked up or its
/// request decoded: authentication and authorization. A refused caller learns
/// nothing about which methods exist.
public protocol CallGate: Sendable {
    /// Returns who is calling, or throws an ``RPCError`` — UNAUTHENTICATED for a
    /// missing or bad key, PERMISSION_DENIED for a key without the permission or of a
    /// tenant the connection's client certificate is not bound to.
    ///
    /// - Parameters:
    ///   - method: the full method name from the request header.
    ///   - authorization: the `authorization` header, e.g. `Bearer <key>`.
    ///   - certificateTenants: the tenants the connection's client certificate binds
    ///     it to; `nil` when it is bound to none. A key of any other tenant is refused
    ///     before anything about it changes (its last use, its limits, caches).
    func admit(method: String, authorization: String?, certificateTenants: Set<String>?) async throws -> Principal

    /// Every method the key in `authorization` may call, with its scope there: the
    /// calls ``admit(method:authorization:certificateTenants:)`` would let through on
    /// a connection bound to no tenant.
    /// - Throws: what `admit` throws for a missing or bad key.
    func allowedMethods(authorization: String?) async throws -> [MethodGrant]
}

/// A method a caller may call, and the records it reaches there.
public struct MethodGrant: Sendable, Equatable {
    /// The full method name, e.g. `/sfa.v1.LeadService/GetLead`.
    public var method: String
    public var scope: RecordScope

    public init(method: String, scope: RecordScope) {
        self.method = method
        self.scope = scope
    }
}
