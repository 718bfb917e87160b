/// Sees every call a server answers, admitted or not, and every frame it refuses
/// before dispatch: statistics, logs and metrics. Unlike a ``ServerInterceptor``,
/// which wraps only admitted calls of served methods, an observer also sees calls the
/// gate refused and calls of unknown methods, so counts and logs miss nothing.
///
/// Observers run on the call's task (or the connection's event loop for refusals):
/// they must be quick and must not block.
public protocol CallObserver: Sendable {
    /// A call was admitted to the dispatcher (before authentication).
    func callStarted()
    /// A call ended; its response frame is about to be written.
    func callFinished(_ call: FinishedCall)
    /// The connection refused a frame before dispatching it (draining, too many calls
    /// in flight, a malformed or oversized frame), or closed on a protocol error.
    /// - Parameter reason: the machine-readable reason, e.g. `FRAME_TOO_LARGE`.
    func frameRefused(reason: String)
}

extension CallObserver {
    public func callStarted() {}
    public func frameRefused(reason: String) {}
}

/// One call as it ended, for observers. Carries no key and no body.
public struct FinishedCall: Sendable {
    /// The method's full name when the server serves it, else `nil` (a name a client
    /// made up: never a label or a key of anything kept).
    public var method: String?
    public var callID: UInt32
    public var status: StatusCode
    /// The machine-readable reason of a failure (`ErrorDetails.reason`), empty on success.
    public var reason: String
    /// The error's message, for failures that are not server faults (those are
    /// logged where they happen, with the underlying error).
    public var message: String
    public var duration: Duration
    /// Who called, when the gate admitted the call.
    public var principal: Principal?
    /// The remote address, `host:port`.
    public var peer: String?
    /// The request's W3C `traceparent`, when it was well-formed (``TraceParent``).
    public var traceparent: TraceParent?

    public init(
        method: String?,
        callID: UInt32,
        status: StatusCode,
        reason: String = "",
        message: String = "",
        duration: Duration,
        principal: Principal? = nil,
        peer: String? = nil,
        traceparent: TraceParent? = nil
    ) {
        self.method = method
        self.callID = callID
        self.status = status
        self.reason = reason
        self.message = message
        self.duration = duration
        self.principal = principal
        self.peer = peer
        self.traceparent = traceparent
    }
}
