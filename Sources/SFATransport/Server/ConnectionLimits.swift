public import NIOCore

/// Limits and timeouts of one server connection. Defaults follow gRPC's where it has
/// one (4 MiB messages) and are documented in docs/protocol.md.
public struct ConnectionLimits: Sendable {
    /// The largest frame accepted, from its length prefix: 4 MiB. A request over it
    /// gets RESOURCE_EXHAUSTED; its bytes are discarded without being buffered.
    public var maximumFrameSize: Int
    /// Calls in flight at once on one connection: 1024. Past it, RESOURCE_EXHAUSTED.
    public var maximumConcurrentCalls: Int
    /// A connection with no call in flight and nothing received for this long is
    /// closed (after a GOAWAY): 5 minutes.
    public var idleTimeout: TimeAmount
    /// A frame whose first bytes arrived must be complete within this time, or the
    /// connection is closed: 30 seconds.
    public var slowFrameTimeout: TimeAmount

    public init(
        maximumFrameSize: Int = 4 * 1024 * 1024,
        maximumConcurrentCalls: Int = 1024,
        idleTimeout: TimeAmount = .minutes(5),
        slowFrameTimeout: TimeAmount = .seconds(30)
    ) {
        self.maximumFrameSize = maximumFrameSize
        self.maximumConcurrentCalls = maximumConcurrentCalls
        self.idleTimeout = idleTimeout
        self.slowFrameTimeout = slowFrameTimeout
    }
}
