import Histogram
public import SFAStubs
import Synchronization

/// Counts every call by method and status and keeps an HDR histogram of its
/// latency, for `GetServerStats`. An interceptor: the server puts it outermost.
public final class CallStatistics: ServerInterceptor, Sendable {
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

    public func intercept(
        _ request: any ProtoMessage,
        context: ServerContext,
        next: @Sendable (any ProtoMessage, ServerContext) async throws -> any ProtoMessage
    ) async throws -> any ProtoMessage {
        let start = ContinuousClock.now
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        do {
            let response = try await next(request, context)
            record(context.method.fullName, status: .ok, since: start)
            return response
        } catch {
            record(context.method.fullName, status: RPCError(mapping: error).code, since: start)
            throw error
        }
    }

    private func record(_ method: String, status: StatusCode, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
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
