public import ArgumentParser
public import SFATransport

/// `--tls`, `--ca`, `--cert`, `--key` and `--plaintext`, as `sfactl` and `sfa-load`
/// take them.
public struct TLSOptions: ParsableArguments {
    @Flag(help: "Speak TLS; the server's certificate must name the host dialled.")
    public var tls = false

    @Flag(help: "Speak plaintext to a host other than loopback (behind a TLS proxy's private side): the API key crosses the network in clear.")
    public var plaintext = false

    @Option(help: "PEM CAs the server's certificate must chain to (implies --tls; default: the system's).")
    public var ca: String?

    @Option(help: "PEM client certificate chain, for servers that ask for one (implies --tls; with --key).")
    public var cert: String?

    @Option(help: "PEM private key of --cert.")
    public var key: String?

    public init() {}

    public func validate() throws {
        guard (cert == nil) == (key == nil) else { throw ValidationError("--cert and --key go together") }
        guard !plaintext || !speaksTLS else { throw ValidationError("--plaintext goes with none of --tls, --ca and --cert") }
    }

    private var speaksTLS: Bool { tls || ca != nil || cert != nil }

    /// The TLS context of the connections to `host`; `nil` for plaintext.
    /// - Throws: `ValidationError` for plaintext to a host other than loopback without
    ///   `--plaintext` (the API key would cross the network in clear), `TLSFileError`
    ///   for a file that cannot be used.
    public func clientTLS(host: String) throws -> ClientTLS? {
        guard speaksTLS else {
            guard plaintext || LoopbackAddress.contains(host) else {
                throw ValidationError("\(host) is not loopback: give --tls (the API key would cross the network in clear), or --plaintext")
            }
            return nil
        }
        return try ClientTLS(configuration: ClientTLSConfiguration(certificateAuthorityFile: ca, certificateChainFile: cert, privateKeyFile: key))
    }
}
