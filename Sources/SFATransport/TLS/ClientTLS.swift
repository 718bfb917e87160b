import NIOCore
import NIOSSL

/// How a client speaks TLS: which CAs it trusts for the server's certificate and
/// which certificate, if any, it presents (a partner's).
public struct ClientTLSConfiguration: Sendable, Equatable {
    /// PEM: the CAs the server's certificate must chain to; `nil` for the system's.
    public var certificateAuthorityFile: String?
    /// PEM: the client's certificate chain, for servers that ask for one.
    public var certificateChainFile: String?
    /// PEM: the private key of the client's certificate.
    public var privateKeyFile: String?

    public init(certificateAuthorityFile: String? = nil, certificateChainFile: String? = nil, privateKeyFile: String? = nil) {
        self.certificateAuthorityFile = certificateAuthorityFile
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
    }
}

/// A client's TLS context, built once from a ``ClientTLSConfiguration`` and shared by
/// every connection a client opens.
public final class ClientTLS: Sendable {
    public let configuration: ClientTLSConfiguration
    let context: NIOSSLContext

    /// - Throws: ``TLSFileError`` for a file that cannot be used, or for a certificate
    ///   without its key (or a key without its certificate).
    public init(configuration: ClientTLSConfiguration) throws {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = [ServerTLSConfiguration.applicationProtocol]
        if let file = configuration.certificateAuthorityFile {
            let authorities = try TLSFileError.reading(file) { try NIOSSLCertificate.fromPEMFile(file) }
            guard !authorities.isEmpty else { throw TLSFileError(file: file, problem: "holds no PEM certificate") }
            tls.trustRoots = .certificates(authorities)
        }
        switch (configuration.certificateChainFile, configuration.privateKeyFile) {
        case (nil, nil):
            break
        case let (chainFile?, keyFile?):
            let chain = try TLSFileError.reading(chainFile) { try NIOSSLCertificate.fromPEMFile(chainFile) }
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(try TLSFileError.reading(keyFile) { try NIOSSLPrivateKey(file: keyFile, format: .pem) })
        default:
            throw TLSFileError(file: "", problem: "a client certificate needs both its chain and its private key")
        }
        self.context = try NIOSSLContext(configuration: tls)
    }

    /// The TLS handler of a connection to `host`, which the server's certificate must
    /// name (as a DNS name, or as an IP address when `host` is one).
    func makeHandler(host: String) throws -> NIOSSLClientHandler {
        // An IP address may not be sent as SNI; NIOSSL then checks the certificate
        // against the address connected to.
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }
}
