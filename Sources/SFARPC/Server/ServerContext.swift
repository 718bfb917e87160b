/// What a handler knows about the call it is serving, besides the request.
public struct ServerContext: Sendable {
    /// The method being called.
    public var method: MethodDescriptor
    /// The client's id for the call, unique on its connection while in flight.
    public var callID: UInt32
    /// When the caller stops waiting, from `timeout_ms`; `nil` without a deadline.
    public var deadline: ContinuousClock.Instant?
    /// The `idempotency_key` header, if the caller sent one.
    public var idempotencyKey: String?
    /// The request metadata (e.g. `traceparent`).
    public var metadata: [String: String]
    /// The `authorization` header; read by the server's `CallGate`, never logged.
    public var authorization: String?
    /// The caller, once the server's `CallGate` admitted the call; `nil` on servers without one.
    public var principal: Principal?

    public init(
        method: MethodDescriptor,
        callID: UInt32,
        deadline: ContinuousClock.Instant? = nil,
        idempotencyKey: String? = nil,
        metadata: [String: String] = [:],
        authorization: String? = nil,
        principal: Principal? = nil
    ) {
        self.method = method
        self.callID = callID
        self.deadline = deadline
        self.idempotencyKey = idempotencyKey
        self.metadata = metadata
        self.authorization = authorization
        self.principal = principal
    }
}
