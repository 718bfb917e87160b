import NIOCore
import Synchronization

/// The open connections of a server, to enforce the connection limit and to drain
/// and close them all on shutdown.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Adds `channel` unless `limit` connections are open already; removes it again when it closes.
    func add(_ channel: any Channel, limit: Int) -> Bool {
        let added = channels.withLock { channels in
            guard channels.count < limit else { return false }
            channels[ObjectIdentifier(channel)] = channel
            return true
        }
        if added {
            channel.closeFuture.whenComplete { _ in
                _ = self.channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return added
    }

    var all: [any Channel] { channels.withLock { Array($0.values) } }

    var count: Int { channels.withLock { $0.count } }
}
