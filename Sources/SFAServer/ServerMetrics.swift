public import CoreMetrics
import Metrics
public import SFARPC
import Synchronization

/// The server's series in swift-metrics, made by one injected factory (so a test's
/// server has a registry of its own; `sfad` gives the one `/metrics` shows). Labels
/// are bounded sets: served method names (`unknown` for any other), status names,
/// refusal reasons. Never tenant ids: per-tenant figures are in `GetTenantStats`.
///
/// - `sfa_rpc_calls_total{method, code}`: calls answered, by method and status.
/// - `sfa_rpc_duration_seconds{method}`: a histogram of call latency, by method.
/// - `sfa_rpc_calls_in_flight`: calls being handled.
/// - `sfa_connections_open`: connections open; `sfa_connections_refused_total{reason}`.
/// - `sfa_frames_refused_total{reason}`: requests refused before dispatch, and
///   connections closed on protocol errors or slow frames.
public final class ServerMetrics: CallObserver {
    private let factory: any MetricsFactory
    private let inFlight: Meter
    private let connections: Meter
    /// One counter per (method, status) and one timer per method, made once: creating
    /// them per call would allocate and take the registry's lock every time.
    private let perMethod = Mutex<(counters: [MethodStatus: Counter], timers: [String: Timer])>(([:], [:]))

    private struct MethodStatus: Hashable {
        var method: String
        var status: StatusCode
    }

    public init(factory: any MetricsFactory) {
        self.factory = factory
        inFlight = Meter(label: "sfa_rpc_calls_in_flight", dimensions: [], factory: factory)
        connections = Meter(label: "sfa_connections_open", dimensions: [], factory: factory)
        inFlight.set(0)
        connections.set(0)
    }

    public func callStarted() {
        inFlight.increment()
    }

    public func callFinished(_ call: FinishedCall) {
        inFlight.decrement()
        let method = call.method ?? "unknown"
        let key = MethodStatus(method: method, status: call.status)
        let (counter, timer) = perMethod.withLock { made in
            if made.counters[key] == nil {
                made.counters[key] = Counter(
                    label: "sfa_rpc_calls_total",
                    dimensions: [("method", method), ("code", "\(call.status)")],
                    factory: factory
                )
            }
            if made.timers[method] == nil {
                made.timers[method] = Timer(label: "sfa_rpc_duration_seconds", dimensions: [("method", method)], factory: factory)
            }
            return (made.counters[key]!, made.timers[method]!)
        }
        counter.increment()
        timer.recordNanoseconds(call.duration.components.seconds * 1_000_000_000 + call.duration.components.attoseconds / 1_000_000_000)
    }

    public func frameRefused(reason: String) {
        Counter(label: "sfa_frames_refused_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    func connectionOpened() { connections.increment() }

    func connectionClosed() { connections.decrement() }

    func connectionRefused(reason: String) {
        Counter(label: "sfa_connections_refused_total", dimensions: [("reason", reason)], factory: factory).increment()
    }
}
