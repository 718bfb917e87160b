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
    /// PINGs a connection may send per second on average: 10, from a bucket holding
    /// twice that. A PING past it closes the connection (GOAWAY `too many pings`), as
    /// gRPC does: a client pinging that often wants answers, not liveness.
    public var pingsPerSecond: Int
    /// A connection this old is drained (GOAWAY DRAIN `maximum connection age`) so
    /// that its client reconnects: 1 hour, less up to 10% at random so that clients
    /// connected together do not all reconnect together; `nil` for no maximum. PINGs
    /// and calls reset the idle timeout, so without it a connection could stay forever.
    public var maximumConnectionAge: TimeAmount?
    /// How long the calls of a connection drained for its age may take to finish
    /// before it is closed: 30 seconds.
    public var maximumConnectionAgeGrace: TimeAmount
    /// The largest request payload per kind of method, under ``maximumFrameSize``.
    public var requestSizes: RequestSizeLimits

    public init(
        maximumFrameSize: Int = 4 * 1024 * 1024,
        maximumConcurrentCalls: Int = 1024,
        maximumRequestBytesInFlight: Int = 16 * 1024 * 1024,
        idleTimeout: TimeAmount = .minutes(5),
        slowFrameTimeout: TimeAmount = .seconds(30),
        pingsPerSecond: Int = 10,
        maximumConnectionAge: TimeAmount? = .hours(1),
        maximumConnectionAgeGrace: TimeAmount = .seconds(30),
        requestSizes: RequestSizeLimits = RequestSizeLimits()
    ) {
        self.maximumFrameSize = maximumFrameSize
        self.maximumConcurrentCalls = maximumConcurrentCalls
        self.maximumRequestBytesInFlight = maximumRequestBytesInFlight
        self.idleTimeout = idleTimeout
        self.slowFrameTimeout = slowFrameTimeout
        self.pingsPerSecond = pingsPerSecond
        self.maximumConnectionAge = maximumConnectionAge
        self.maximumConnectionAgeGrace = maximumConnectionAgeGrace
        self.requestSizes = requestSizes
    }
}
