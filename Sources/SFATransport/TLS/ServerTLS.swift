public import NIOSSL
import Synchronization

/// The server's TLS in use: the context new connections handshake with, built from
/// the configuration's files, and rebuilt from them by ``reload()`` (sfad calls it on
/// SIGHUP). A connection keeps the context it began with, so a reload drops none and
/// a connection made after it gets the new certificate.
public final class ServerTLS: Sendable {
    public let configuration: ServerTLSConfiguration
    private let context: Mutex<NIOSSLContext>

    /// - Throws: ``TLSFileError`` or NIOSSL's error when the files cannot be used.
    public init(configuration: ServerTLSConfiguration) throws {
        self.configuration = configuration
        self.context = Mutex(try configuration.makeContext())
    }

    /// Reads the files again; connections made from now on use what they hold.
    /// - Throws: when the files cannot be used; the context in use is then kept, so a
    ///   half-written certificate does not stop the server accepting connections.
    public func reload() throws {
        let fresh = try configuration.makeContext()
        context.withLock { $0 = fresh }
    }

    /// The TLS handler of a new connection, first in its pipeline.
    public func makeHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: context.withLock { $0 })
    }
}
