public import Histogram

/// What one worker saw: latencies per method in an HDR histogram (microseconds, three
/// significant digits, up to ten minutes) and failures by method and status. Workers
/// record into their own and the run merges them at the end, so recording takes no lock.
public struct LatencyRecorder: Sendable {
    /// Latency histograms of the calls that succeeded, by method.
    public private(set) var latencies: [String: Histogram<UInt64>] = [:]
    /// The latencies of the successful calls that were the run's first to their tenant,
    /// whatever their method (also in ``latencies``).
    public private(set) var firstCalls = Self.emptyHistogram()
    /// The failed calls that were the run's first to their tenant (also in ``failures``).
    public private(set) var firstCallFailures = 0
    /// Failed calls by method, then by status name (`DEADLINE_EXCEEDED`, …).
    public private(set) var failures: [String: [String: Int]] = [:]

    /// The largest latency recorded; longer ones are recorded as this.
    static let highestMicroseconds: UInt64 = 600_000_000

    public init() {}

    static func emptyHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: highestMicroseconds, numberOfSignificantValueDigits: .three)
    }

    /// Records a successful call; `firstToTenant` when it was the run's first call to
    /// its tenant.
    public mutating func record(_ method: String, latency: Duration, firstToTenant: Bool = false) {
        let (seconds, attoseconds) = latency.components
        let microseconds = min(UInt64(max(0, seconds) * 1_000_000 + max(0, attoseconds) / 1_000_000_000_000), Self.highestMicroseconds)
        _ = latencies[method, default: Self.emptyHistogram()].record(microseconds)
        if firstToTenant { _ = firstCalls.record(microseconds) }
    }

    public mutating func recordFailure(_ method: String, status: String, firstToTenant: Bool = false) {
        failures[method, default: [:]][status, default: 0] += 1
        if firstToTenant { firstCallFailures += 1 }
    }

    /// Adds everything `other` recorded.
    public mutating func merge(_ other: LatencyRecorder) {
        for (method, histogram) in other.latencies {
            latencies[method, default: Self.emptyHistogram()].add(histogram)
        }
        firstCalls.add(other.firstCalls)
        firstCallFailures += other.firstCallFailures
        for (method, counts) in other.failures {
            failures[method, default: [:]].merge(counts, uniquingKeysWith: +)
        }
    }

    /// Every method's successful calls in one histogram.
    public var overall: Histogram<UInt64> {
        var all = Self.emptyHistogram()
        for histogram in latencies.values { all.add(histogram) }
        return all
    }

    public var succeeded: Int { latencies.values.reduce(0) { $0 + Int($1.totalCount) } }
    public var failed: Int { failures.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
}
