import NIOCore

/// Which hosts keep connections to this machine, where plaintext cannot be overheard.
public enum LoopbackAddress {
    /// Whether `host` is `localhost`, an IPv4 address in 127.0.0.0/8, `::1` or an
    /// IPv4-mapped 127.x address. The address is parsed, not matched as text, so that a
    /// name such as `127.0.0.1.example` (which resolves wherever its owner likes) is not
    /// taken for loopback.
    public static func contains(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        guard let address = try? SocketAddress(ipAddress: host, port: 0) else { return false }
        switch address {
        case .v4(let v4):
            return UInt32(bigEndian: v4.address.sin_addr.s_addr) >> 24 == 127
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
            return bytes == Array(repeating: 0, count: 15) + [1] || (Array(bytes[0..<12]) == mappedPrefix && bytes[12] == 127)
        case .unixDomainSocket:
            return false
        }
    }
}
