import SFAServer
import SFATransport

extension Settings {
    /// The listener's TLS, its files read now; `nil` for plaintext.
    /// - Throws: `SettingsError` for a certificate without its key (or the reverse), an
    ///   unknown client-certificate mode, files that cannot be used, or plaintext on an
    ///   address other than loopback without `allowPlaintext` (API keys would cross the
    ///   network in the clear).
    func serverTLS() throws -> ServerTLS? {
        switch (tlsCertificateFile, tlsKeyFile) {
        case (nil, nil):
            let address = host ?? ServerConfiguration().host
            guard LoopbackAddress.contains(address) || allowPlaintext == true else {
                throw SettingsError(
                    "host \(address) is not loopback: API keys would cross the network in plaintext; give --tls-cert and "
                        + "--tls-key, or --allow-plaintext (SFAD_ALLOW_PLAINTEXT=true) behind a TLS-terminating proxy"
                )
            }
            guard tlsClientCertificates == nil, tlsClientCAFile == nil else {
                throw SettingsError("client certificates need TLS: give --tls-cert and --tls-key")
            }
            return nil
        case let (certificate?, key?):
            let modeName = tlsClientCertificates ?? "off"
            guard let mode = ServerTLSConfiguration.ClientCertificates(rawValue: modeName) else {
                throw SettingsError("client certificates \(modeName) is not off, optional or required")
            }
            do {
                return try ServerTLS(
                    configuration: ServerTLSConfiguration(
                        certificateChainFile: certificate,
                        privateKeyFile: key,
                        clientCertificates: mode,
                        clientCertificateAuthorityFile: tlsClientCAFile
                    )
                )
            } catch {
                throw SettingsError("TLS: \(error)")
            }
        default:
            throw SettingsError("TLS needs both --tls-cert and --tls-key")
        }
    }
}
