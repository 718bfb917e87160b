/// Per-call settings a client passes with a request.
public struct CallOptions: Sendable {
    /// How long the call may take; sent as `timeout_ms`, and the client gives up
    /// with `DEADLINE_EXCEEDED` when it passes. `nil` means no deadline.
    public var timeout: Duration?
    /// Sent as `idempotency_key`: the server executes a write with the same key once
    /// and returns the first result to retries. A call with a key may be retried.
    public var idempotencyKey: String?
    /// Request metadata, e.g. a W3C `traceparent`.
    public var metadata: [String: String]
    /// Sent as `authorization: Bearer <key>` instead of the connection's key: one
    /// connection can then carry calls of many tenants (sfa-load does).
    public var apiKey: String?

    public init(timeout: Duration? = nil, idempotencyKey: String? = nil, metadata: [String: String] = [:], apiKey: String? = nil) {
        self.timeout = timeout
        self.idempotencyKey = idempotencyKey
        self.metadata = metadata
        self.apiKey = apiKey
    }
}
