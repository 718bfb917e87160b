public import NIOSSL

/// The tenants a client certificate is bound to: its URI subject alternative names
/// `urn:saleswire:tenant:<tenant id>`. A connection whose verified certificate binds
/// serves only keys of the tenants it names (docs/security.md); a certificate with no
/// `saleswire` URN authenticates the connection only.
///
/// The binding fails closed: the scheme and namespace are matched in any case
/// (RFC 8141: `URN:SalesWire:tenant:x` is the same name), and a certificate carrying any
/// `saleswire` URN that does not name one tenant binds to no tenant at all, so that a
/// misissued certificate denies every key rather than accepting every tenant's.
public struct ClientCertificateTenants: Sendable, Equatable {
    public static let uriPrefix = "urn:saleswire:tenant:"

    /// Whether the certificate restricts its connections to ``tenantIDs`` (an empty set
    /// then admits no key); `false` for a certificate naming no tenant.
    public var binds: Bool
    public var tenantIDs: Set<String>

    public init(tenantIDs: Set<String>, binds: Bool = true) {
        self.tenantIDs = tenantIDs
        self.binds = binds
    }

    /// The tenants `certificate` names.
    public init(certificate: NIOSSLCertificate) {
        let uris = certificate._subjectAlternativeNames().filter { $0.nameType == .uri }
        self.init(uris: uris.map { String(decoding: $0.contents, as: UTF8.self) })
    }

    /// The tenants the URI subject alternative names `uris` name.
    public init(uris: [String]) {
        var tenantIDs: Set<String> = []
        var binds = false
        var malformed = false
        for uri in uris {
            switch Self.parse(uri) {
            case .other: continue
            case .tenant(let id):
                binds = true
                tenantIDs.insert(id)
            case .malformed:
                binds = true
                malformed = true
            }
        }
        self.init(tenantIDs: malformed ? [] : tenantIDs, binds: binds)
    }

    private enum Name: Equatable {
        case other
        case tenant(String)
        case malformed
    }

    /// `urn` and the namespace `saleswire` compare in any case (RFC 8141 §3.1); the
    /// rest is ours, `tenant:` then a non-empty tenant id compared exactly.
    private static func parse(_ uri: String) -> Name {
        let parts = uri.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].lowercased() == "urn", parts[1].lowercased() == "saleswire" else { return .other }
        guard parts.count == 4, parts[2] == "tenant", !parts[3].isEmpty, !parts[3].contains(where: \.isWhitespace) else {
            return .malformed
        }
        return .tenant(String(parts[3]))
    }
}
