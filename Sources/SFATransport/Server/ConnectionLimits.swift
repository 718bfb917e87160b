public import NIOCore

/// Limits and timeouts of one server connection. Defaults follow gRPC's where it has
/// one (4 MiB messages) and are documented in docs/protocol.md.
public struct ConnectionLimits: Sendable {
    /// The largest frame accepted, from its length prefix: 4 MiB. A request over it
    /// gets RESOURCE_EXHAUSTED; its bytes are discarded without being buffered.
    public var maximumFrameSize: Int
    /// Calls in flight at once on one connection: 1024. Past it, RESOURCE_EXHAUSTED.
    public var maximumConcurrentCalls: Int
    /// Bytes of requests (header and payload) whose calls are still running on one
    /// connection: 16 MiB, four maximum frames. At it the server stops reading from
    /// the connection until calls finish, so that a client pipelining large requests
    /// to slow calls cannot make the server hold 1024 of them (4 GiB).
    public var maximumRequestBytesInFlight: Int
    /// A connection with no call in flight and nothing received for this long is
    /// closed (after a GOAWAY): 5 minutes.
    public var idleTimeout: TimeAmount
    /// A frame whose first bytes arrived must be complete within this time, or the
    /// connection is closed: 30 seconds.
    public var slowFrameTimeout: TimeAmount

    public init(
        maximumFrameSize: Int = 4 * 1024 * 1024,
        maximumConcurrentCalls: Int = 1024,
        maximumRequestBytesInFlight: Int = 16 * 1024 * 1024,
        idleTimeout: TimeAmount = .minutes(5),
        slowFrameTimeout: TimeAmount = .seconds(30)
    ) {
        self.maximumFrameSize = maximumFrameSize
        self.maximumConcurrentCalls = maximumConcurrentCalls
        self.maximumRequestBytesInFlight = maximumRequestBytesInFlight
        self.idleTimeout = idleTimeout
        self.slowFrameTimeout = slowFrameTimeout
    }
}
