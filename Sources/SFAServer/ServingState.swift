import Synchronization

/// Whether the server listens and takes new calls; health checks and `/readyz` report it.
public final class ServingState: Sendable {
    private let listening = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)

    public init() {}

    /// True once the listener is bound, until shutdown begins.
    public var isListening: Bool { listening.load(ordering: .acquiring) }

    /// True once shutdown began.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    func beginListening() { listening.store(true, ordering: .releasing) }

    func beginDraining() {
        draining.store(true, ordering: .releasing)
        listening.store(false, ordering: .releasing)
    }
}
