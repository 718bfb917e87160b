import Synchronization

/// Whether the server takes new calls; health checks report it.
public final class ServingState: Sendable {
    private let draining = Atomic<Bool>(false)

    public init() {}

    /// True once shutdown began.
    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    func beginDraining() { draining.store(true, ordering: .releasing) }
}
