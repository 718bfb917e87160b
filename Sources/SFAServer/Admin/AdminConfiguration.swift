/// The admin HTTP listener: `/metrics`, `/healthz`, `/readyz`. It is off unless an
/// address is given, and it serves no TLS and no authentication, so a non-loopback
/// address must be allowed explicitly (`publicAddressAllowed`): behind a firewall,
/// in a pod, or on a network only the scraper reaches.
public struct AdminConfiguration: Sendable, Equatable {
    public var host: String
    /// 0 lets the system choose (see ``AdminServer/listeningAddress``).
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 9411) {
        self.host = host
        self.port = port
    }

    /// An address written `host:port`, `[v6]:port` or `:port` (loopback).
    /// - Returns: `nil` when it is none of these.
    public init?(address: String) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
