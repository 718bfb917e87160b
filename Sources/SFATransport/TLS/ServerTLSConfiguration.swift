public import NIOCore
import NIOSSL

/// The server's TLS, as files: its certificate chain and key, and whether and how
/// clients present certificates of their own (partners, docs/security.md).
public struct ServerTLSConfiguration: Sendable, Equatable {
    /// Whether a client must present a certificate signed by ``clientCertificateAuthorityFile``.
    public enum ClientCertificates: String, Sendable, Equatable, CaseIterable {
        /// Not asked for: the API key alone authenticates.
        case off
        /// Asked for and verified when presented; a client without one is still served.
        case optional
        /// A client without a certificate the CA signed fails the handshake.
        case required
    }

    /// PEM: the server's certificate first, then any intermediates.
    public var certificateChainFile: String
    /// PEM: the private key of the first certificate.
    public var privateKeyFile: String
    public var clientCertificates: ClientCertificates
    /// PEM: the CAs whose client certificates are accepted; needed unless
    /// ``clientCertificates`` is `off`.
    public var clientCertificateAuthorityFile: String?
    /// How long after its accept a connection may take to complete the handshake
    /// before it is closed. A handshake takes a few round trips; 10 s leaves room for a
    /// slow network while keeping a client that trickles bytes from holding a
    /// connection slot for the whole idle timeout.
    public var handshakeTimeout: TimeAmount

    public init(
        certificateChainFile: String,
        privateKeyFile: String,
        clientCertificates: ClientCertificates = .off,
        clientCertificateAuthorityFile: String? = nil,
        handshakeTimeout: TimeAmount = .seconds(10)
    ) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.clientCertificates = clientCertificates
        self.clientCertificateAuthorityFile = clientCertificateAuthorityFile
        self.handshakeTimeout = handshakeTimeout
    }

    /// The protocol name offered in ALPN, so that a proxy in front of several services
    /// can route by it; a client offering none is served as well.
    public static let applicationProtocol = "sfa/1"

    /// A context built from the files as they are now.
    /// - Throws: ``TLSFileError`` naming the file that cannot be read or parsed, or
    ///   NIOSSL's error for a key that does not match the certificate.
    func makeContext() throws -> NIOSSLContext {
        let chain = try TLSFileError.reading(certificateChainFile) { try NIOSSLCertificate.fromPEMFile(certificateChainFile) }
        guard !chain.isEmpty else { throw TLSFileError(file: certificateChainFile, problem: "holds no PEM certificate") }
        let key = try TLSFileError.reading(privateKeyFile) { try NIOSSLPrivateKey(file: privateKeyFile, format: .pem) }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        // TLS 1.0 and 1.1 are deprecated (RFC 8996).
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = [Self.applicationProtocol]
        switch clientCertificates {
        case .off:
            tls.certificateVerification = .none
        case .optional, .required:
            guard let clientCertificateAuthorityFile else {
                throw TLSFileError(file: "", problem: "client certificates \(clientCertificates.rawValue) need a client CA file")
            }
            let authorities = try TLSFileError.reading(clientCertificateAuthorityFile) {
                try NIOSSLCertificate.fromPEMFile(clientCertificateAuthorityFile)
            }
            guard !authorities.isEmpty else { throw TLSFileError(file: clientCertificateAuthorityFile, problem: "holds no PEM certificate") }
            tls.trustRoots = .certificates(authorities)
            // Clients connect from anywhere: their certificates name who they are, not
            // where they connect from, so no hostname is checked.
            tls.certificateVerification = clientCertificates == .required ? .noHostnameVerification : .optionalVerification
            tls.sendCANameList = true
        }
        return try NIOSSLContext(configuration: tls)
    }
}

/// A certificate, key or CA file that cannot be used.
public struct TLSFileError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { file.isEmpty ? problem : "\(file): \(problem)" }

    /// `body`'s result, its error (NIOSSL's say little about which file) rethrown naming `file`.
    static func reading<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw TLSFileError(file: file, problem: "cannot be read as PEM (\(error))")
        }
    }
}
