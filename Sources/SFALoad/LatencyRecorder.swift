public import Histogram

/// What one worker saw: latencies per method in an HDR histogram (microseconds, three
/// significant digits, up to ten minutes) and failures by method and status. Workers
/// record into their own and the run merges them at the end, so recording takes no lock.
public struct LatencyRecorder: Sendable {
    /// Latency histograms of the calls that succeeded, by method.
    public private(set) var latencies: [String: Histogram<UInt64>] = [:]
    /// Failed calls by method, then by status name (`DEADLINE_EXCEEDED`, …).
    public private(set) var failures: [String: [String: Int]] = [:]

    /// The largest latency recorded; longer ones are recorded as this.
    static let highestMicroseconds: UInt64 = 600_000_000

    public init() {}

    static func emptyHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: highestMicroseconds, numberOfSignificantValueDigits: .three)
    }

    public mutating func record(_ method: String, latency: Duration) {
        let (seconds, attoseconds) = latency.components
        let microseconds = max(0, seconds) * 1_000_000 + max(0, attoseconds) / 1_000_000_000_000
        _ = latencies[method, default: Self.emptyHistogram()].record(min(UInt64(microseconds), Self.highestMicroseconds))
    }

    public mutating func recordFailure(_ method: String, status: String) {
        failures[method, default: [:]][status, default: 0] += 1
    }

    /// Adds everything `other` recorded.
    public mutating func merge(_ other: LatencyRecorder) {
        for (method, histogram) in other.latencies {
            latencies[method, default: Self.emptyHistogram()].add(histogram)
        }
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
