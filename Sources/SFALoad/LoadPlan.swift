public import SFATransport

/// How a load run drives the server: where, how hard, for how long.
public struct LoadPlan: Sendable {
    /// When the run ends.
    public enum Stop: Sendable, Equatable {
        /// After this long (calls still in flight are awaited, not counted as late).
        case duration(Duration)
        /// After this many calls.
        case count(Int)
    }

    /// How calls are started.
    public enum Pace: Sendable, Equatable {
        /// Each of the `inFlight` workers starts its next call when the previous one
        /// returns; latency is measured from the send.
        case closedLoop
        /// Calls are due at a constant rate (per second) whatever the server does;
        /// latency is measured from each call's intended send time, so a stall shows
        /// in the percentiles instead of silently slowing the schedule (wrk2's
        /// correction of coordinated omission). `inFlight` bounds the calls
        /// outstanding; calls due while all are busy start late and count the wait.
        case fixedRate(Double)
    }

    public var host: String
    public var port: Int
    /// TCP connections; workers share them round-robin (calls are multiplexed). One
    /// is the cheapest for the load tool: its writes are flushed together.
    public var connections: Int
    /// Calls outstanding at once: the number of workers.
    public var inFlight: Int
    public var stop: Stop
    /// Calls due in this first part of the run are made but not recorded.
    public var warmup: Duration
    public var pace: Pace
    /// The deadline of each call.
    public var timeout: Duration
    /// TLS for the connections; `nil` for plaintext.
    public var tls: ClientTLS? = nil
    /// How many redirects (TENANT_MOVED, TENANT_MOVING: docs/protocol.md §5.3) one call
    /// follows to other nodes of a cluster. 0, the default, calls the target alone
    /// over bare connections, the least work for the load tool; more makes each
    /// connection a client that keeps a placement map and follows its tenants to
    /// their owners, for a run against any node of a cluster or through a move.
    public var maximumRedirects = 0
    /// Hosts besides ``host`` that redirects may name (``ClientConfiguration/redirectHosts``).
    public var redirectHosts: [String] = []

    public init(
        host: String = "127.0.0.1",
        port: Int = 7411,
        connections: Int = 1,
        inFlight: Int = 64,
        stop: Stop = .duration(.seconds(10)),
        warmup: Duration = .zero,
        pace: Pace = .closedLoop,
        timeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.connections = max(1, connections)
        self.inFlight = max(1, inFlight)
        self.stop = stop
        self.warmup = warmup
        self.pace = pace
        self.timeout = timeout
    }
}
