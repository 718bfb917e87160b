import Logging
import SFATransport
import ServiceLifecycle
import UnixSignals

/// Rereads the TLS certificate and key on SIGHUP, so that a renewed certificate is
/// served without a restart: connections made afterwards get it, open ones keep
/// theirs. A reload that fails keeps the certificate in use and is logged. Without
/// TLS, SIGHUP is still trapped (and logged), so that `systemctl reload` cannot kill
/// the server as SIGHUP's default action would.
struct CertificateReloader: Service {
    let tls: ServerTLS?
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            guard let tls else {
                logger.notice("SIGHUP: no TLS certificate to reload")
                continue
            }
            do {
                try tls.reload()
                logger.notice("TLS certificate reloaded", metadata: ["file": "\(tls.configuration.certificateChainFile)"])
            } catch {
                logger.error("TLS certificate reload failed; still serving the previous one", metadata: ["error": "\(error)"])
            }
        }
    }
}
