public import ArgumentParser
public import SFATransport

/// `--tls`, `--ca`, `--cert` and `--key`, as `sfactl` and `sfa-load` take them.
public struct TLSOptions: ParsableArguments {
    @Flag(help: "Speak TLS; the server's certificate must name the host dialled.")
    public var tls = false

    @Option(help: "PEM CAs the server's certificate must chain to (implies --tls; default: the system's).")
    public var ca: String?

    @Option(help: "PEM client certificate chain, for servers that ask for one (implies --tls; with --key).")
    public var cert: String?

    @Option(help: "PEM private key of --cert.")
    public var key: String?

    public init() {}

    public func validate() throws {
        guard (cert == nil) == (key == nil) else { throw ValidationError("--cert and --key go together") }
    }

    /// The TLS context of the connections; `nil` for plaintext.
    /// - Throws: `TLSFileError` for a file that cannot be used.
    public func clientTLS() throws -> ClientTLS? {
        guard tls || ca != nil || cert != nil else { return nil }
        return try ClientTLS(configuration: ClientTLSConfiguration(certificateAuthorityFile: ca, certificateChainFile: cert, privateKeyFile: key))
    }
}
