import Histogram
public import SFAStubs
public import SFARPC
import Synchronization

/// Counts every call by method and status and keeps an HDR histogram of its
/// latency, for `GetServerStats`. An observer: it sees refused calls too; calls of
/// methods the server does not serve count under `unknown`.
public final class CallStatistics: CallObserver {
    private struct Method {
        var statusCounts: [UInt32: Int64] = [:]
        /// Microseconds, 1 µs to 1 hour, two significant digits.
        var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two)
    }

    private let methods = Mutex<[String: Method]>([:])
    private let inFlight = Atomic<Int>(0)

    public init() {}

    /// Calls being handled right now.
    public var callsInFlight: Int { inFlight.load(ordering: .relaxed) }

    public func callStarted() {
        inFlight.add(1, ordering: .relaxed)
    }

    public func callFinished(_ call: FinishedCall) {
        inFlight.subtract(1, ordering: .relaxed)
        record(call.method ?? "unknown", status: call.status, elapsed: call.duration)
    }

    private func record(_ method: String, status: StatusCode, elapsed: Duration) {
        let microseconds = UInt64(max(1, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000))
        methods.withLock { methods in
            methods[method, default: Method()].statusCounts[status.rawValue, default: 0] += 1
            _ = methods[method]!.latency.record(min(microseconds, 3_600_000_000))
        }
    }

    /// Per method: calls, errors, calls by status, p50/p99/max latency in µs; by method name.
    public func snapshot() -> [MethodStats] {
        methods.withLock { methods in
            methods.keys.sorted().map { name in
                let method = methods[name]!
                let total = method.statusCounts.values.reduce(0, +)
                return MethodStats(
                    method: name,
                    callCount: total,
                    errorCount: total - (method.statusCounts[0] ?? 0),
                    statusCounts: method.statusCounts.keys.sorted().map {
                        StatusCount(code: RpcCode(rawValue: Int32($0)), callCount: method.statusCounts[$0]!)
                    },
                    p50LatencyUs: Int64(method.latency.valueAtPercentile(50)),
                    p99LatencyUs: Int64(method.latency.valueAtPercentile(99)),
                    maxLatencyUs: Int64(method.latency.maxRecorded)
                )
            }
        }
    }
}
