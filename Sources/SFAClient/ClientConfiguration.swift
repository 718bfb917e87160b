public import SFATransport

/// How an `RPCClient` reaches its server.
public struct ClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The API key sent with every call as `authorization: Bearer <key>`.
    public var apiKey: String?
    /// Connections in the pool; calls are spread over them round-robin.
    public var connections: Int
    /// The deadline of calls that do not set their own; `nil` for none.
    public var defaultTimeout: Duration?
    public var retry: RetryPolicy
    /// The largest response frame accepted.
    public var maximumFrameSize: Int
    /// TLS for every connection, built once from a `ClientTLSConfiguration`; `nil`
    /// for plaintext.
    public var tls: ClientTLS?
    /// How many redirects (TENANT_MOVED, TENANT_MOVING: docs/protocol.md §5.3) one call
    /// follows to other nodes of a cluster before it fails with the last one; 0
    /// follows none.
    public var maximumRedirects: Int
    /// The hosts besides ``host`` that redirects may send this client's calls, and so
    /// its API key, to (docs/protocol.md §5.3): names or addresses as the cluster's
    /// nodes advertise them, or `*.example.com` for every name under a domain. A
    /// redirect to another host fails with `REDIRECT_HOST_NOT_ALLOWED`. Empty (the
    /// default): other ports of ``host`` only, whether or not TLS is on — a
    /// certificate proves whom the key goes to, not that the application meant to send
    /// it there.
    public var redirectHosts: [String]

    public init(
        host: String = "127.0.0.1",
        port: Int = 7411,
        apiKey: String? = nil,
        connections: Int = 1,
        defaultTimeout: Duration? = .seconds(30),
        retry: RetryPolicy = RetryPolicy(),
        maximumFrameSize: Int = 4 * 1024 * 1024,
        tls: ClientTLS? = nil,
        maximumRedirects: Int = 20,
        redirectHosts: [String] = []
    ) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.connections = max(1, connections)
        self.defaultTimeout = defaultTimeout
        self.retry = retry
        self.maximumFrameSize = maximumFrameSize
        self.tls = tls
        self.maximumRedirects = max(0, maximumRedirects)
        self.redirectHosts = redirectHosts
    }

    /// Whether a redirect may send calls to `host`: ``host`` itself, or one that
    /// ``redirectHosts`` names (case-insensitively, as DNS names compare).
    public func allowsRedirect(to host: String) -> Bool {
        let host = host.lowercased()
        guard host != self.host.lowercased() else { return true }
        return redirectHosts.contains { allowed in
            let allowed = allowed.lowercased()
            if allowed.hasPrefix("*.") { return host.hasSuffix(allowed.dropFirst()) && host.count > allowed.count - 1 }
            return host == allowed
        }
    }
}
