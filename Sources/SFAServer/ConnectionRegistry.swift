import NIOCore
import Synchronization

/// The open connections of a server, to enforce the connection limit and to drain
/// and close them all on shutdown. Admission and the start of draining share one
/// lock, so every connection is either refused or in the set that gets GOAWAY.
final class ConnectionRegistry: Sendable {
    private let metrics: ServerMetrics

    init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    /// Why a connection was not admitted.
    enum Refusal {
        case full, draining
    }

    private let state = Mutex<(channels: [ObjectIdentifier: any Channel], draining: Bool)>(([:], false))

    /// Adds `channel` unless the server drains or `limit` connections are open; it is
    /// removed again when it closes.
    func add(_ channel: any Channel, limit: Int) -> Refusal? {
        let refusal: Refusal? = state.withLock { state in
            if state.draining { return .draining }
            guard state.channels.count < limit else { return .full }
            state.channels[ObjectIdentifier(channel)] = channel
            return nil
        }
        switch refusal {
        case nil:
            metrics.connectionOpened()
            channel.closeFuture.whenComplete { _ in
                _ = self.state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
                self.metrics.connectionClosed()
            }
        case .full: metrics.connectionRefused(reason: "TOO_MANY_CONNECTIONS")
        case .draining: metrics.connectionRefused(reason: "DRAINING")
        }
        return refusal
    }

    /// Stops admitting connections; returns the ones to drain.
    func beginDraining() -> [any Channel] {
        state.withLock { state in
            state.draining = true
            return Array(state.channels.values)
        }
    }

    var all: [any Channel] { state.withLock { Array($0.channels.values) } }

    var count: Int { state.withLock { $0.channels.count } }
}
