public import NIOSSL

/// The tenants a client certificate is bound to: its URI subject alternative names
/// `urn:saleswire:tenant:<tenant id>`. A connection whose verified certificate names
/// tenants serves only keys of those tenants (docs/security.md); a certificate naming
/// none authenticates the connection only.
public struct ClientCertificateTenants: Sendable, Equatable {
    public static let uriPrefix = "urn:saleswire:tenant:"

    public var tenantIDs: Set<String>

    public init(tenantIDs: Set<String>) {
        self.tenantIDs = tenantIDs
    }

    /// The tenants `certificate` names.
    public init(certificate: NIOSSLCertificate) {
        var tenantIDs: Set<String> = []
        for name in certificate._subjectAlternativeNames() where name.nameType == .uri {
            let uri = String(decoding: name.contents, as: UTF8.self)
            if uri.hasPrefix(Self.uriPrefix), uri.count > Self.uriPrefix.count {
                tenantIDs.insert(String(uri.dropFirst(Self.uriPrefix.count)))
            }
        }
        self.tenantIDs = tenantIDs
    }
}
