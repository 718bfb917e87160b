public import SFAMessages
import Synchronization

/// The server's default call limits, which a tenant's overrides (`CallLimits`, set
/// with AdminService/SetTenantLimits) replace field by field. A limit of 0 means none.
///
/// Calls per second have no default: what a server can take depends on its hardware
/// and the methods called (docs/benchmarks.md), so operators set them from
/// measurements. Concurrent calls do: a tenant cannot hold more than its share of the
/// server's tasks and database connections, however fast its calls arrive.
public struct CallLimiterConfiguration: Sendable, Equatable {
    /// Calls per second of all of a tenant's keys together: 0, no limit.
    public var tenantCallsPerSecond: UInt32
    /// Calls of a tenant in flight at once: 512.
    public var tenantConcurrentCalls: UInt32
    /// Calls per second of one key: 0, no limit.
    public var keyCallsPerSecond: UInt32
    /// Calls of one key in flight at once: 128 (twice what `scripts/bench` keeps in
    /// flight on one key).
    public var keyConcurrentCalls: UInt32
    /// How long a bucket may save unused calls for a burst: 2 seconds' worth.
    public var burstSeconds: Double

    public init(
        tenantCallsPerSecond: UInt32 = 0,
        tenantConcurrentCalls: UInt32 = 512,
        keyCallsPerSecond: UInt32 = 0,
        keyConcurrentCalls: UInt32 = 128,
        burstSeconds: Double = 2
    ) {
        self.tenantCallsPerSecond = tenantCallsPerSecond
        self.tenantConcurrentCalls = tenantConcurrentCalls
        self.keyCallsPerSecond = keyCallsPerSecond
        self.keyConcurrentCalls = keyConcurrentCalls
        self.burstSeconds = burstSeconds
    }

    /// The limits that apply to a tenant with `overrides`: each override that is set,
    /// else this configuration's default.
    public func effective(_ overrides: CallLimits) -> CallLimits {
        func pick(_ override: UInt32, _ fallback: UInt32) -> UInt32 { override != 0 ? override : fallback }
        return CallLimits(
            tenantCallsPerSecond: pick(overrides.tenantCallsPerSecond, tenantCallsPerSecond),
            tenantConcurrentCalls: pick(overrides.tenantConcurrentCalls, tenantConcurrentCalls),
            keyCallsPerSecond: pick(overrides.keyCallsPerSecond, keyCallsPerSecond),
            keyConcurrentCalls: pick(overrides.keyConcurrentCalls, keyConcurrentCalls)
        )
    }
}

/// Per-tenant and per-key limits on calls (SPEC §8): a token bucket for calls per
/// second and a count of calls in flight, for each tenant and each key. A call takes
/// from both its tenant's and its key's, or from neither: a refused call costs nothing.
///
/// Calls without a tenant (operators, keyless health checks) are held to the key
/// limits only, keyless ones to none. All state sits behind one lock taken once per
/// call; entries of tenants and keys that are idle with full buckets are dropped when
/// the table grows past `capacity`, so unused ones cost nothing.
public final class CallLimiter: Sendable {
    public let configuration: CallLimiterConfiguration
    /// Entries kept before idle ones are dropped.
    private let capacity: Int
    private let entries = Mutex<[Subject: Entry]>([:])

    /// Whose limit: a tenant's or a key's.
    fileprivate enum Subject: Hashable, Sendable {
        case tenant(String)
        case key(String)
    }

    private struct Entry {
        /// Calls that may start now without waiting; at most the bucket's size.
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
        var inFlight: UInt32 = 0
    }

    /// A call's hold on its tenant's and key's limits; `end()` gives it back.
    public struct Permit: Sendable {
        fileprivate let limiter: CallLimiter?
        fileprivate let subjects: [Subject]

        /// Ends the call: its tenant and key may have one more in flight.
        public func end() {
            limiter?.release(subjects)
        }
    }

    /// How long a caller refused for concurrency is told to wait: calls of a busy
    /// tenant end all the time, so soon, but not at once.
    static let concurrencyRetryAfterMs: UInt32 = 50

    public init(configuration: CallLimiterConfiguration = CallLimiterConfiguration(), capacity: Int = 100_000) {
        self.configuration = configuration
        self.capacity = capacity
    }

    /// Starts a call of `principal` (`nil`: a call no gate admitted, not limited).
    ///
    /// - Throws: ``RPCError`` RESOURCE_EXHAUSTED, reason `RATE_LIMITED` (calls per
    ///   second) or `CONCURRENCY_LIMITED` (calls in flight), with `retry_after_ms` and
    ///   metadata `limit` (e.g. `tenant_calls_per_second`) and `value`; the call must
    ///   not start.
    public func start(_ principal: Principal?, now: ContinuousClock.Instant = .now) throws(RPCError) -> Permit {
        guard let principal, !principal.keyID.isEmpty else { return Permit(limiter: nil, subjects: []) }
        let limits = configuration.effective(principal.tenantLimits)
        var checks: [(Subject, rate: UInt32, concurrency: UInt32, name: String)] = [
            (.key(principal.keyID), limits.keyCallsPerSecond, limits.keyConcurrentCalls, "key")
        ]
        if let tenantID = principal.tenantID {
            checks.insert((.tenant(tenantID), limits.tenantCallsPerSecond, limits.tenantConcurrentCalls, "tenant"), at: 0)
        }
        let burstSeconds = configuration.burstSeconds
        return try entries.withLock { entries throws(RPCError) in
            // Check every limit before taking anything.
            var updated: [(Subject, Entry)] = []
            for (subject, rate, concurrency, name) in checks {
                var entry = entries[subject] ?? Entry(tokens: Self.bucketSize(rate, burstSeconds), refilledAt: now)
                if rate > 0 {
                    let elapsed = Self.seconds(now - entry.refilledAt)
                    entry.tokens = min(Self.bucketSize(rate, burstSeconds), entry.tokens + elapsed * Double(rate))
                    entry.refilledAt = now
                    guard entry.tokens >= 1 else {
                        let waitMs = ((1 - entry.tokens) / Double(rate) * 1000).rounded(.up)
                        entries[subject] = entry
                        throw Self.refusal("RATE_LIMITED", "\(name)_calls_per_second", rate, retryAfterMs: UInt32(max(1, waitMs)), "\(name) calls per second")
                    }
                    entry.tokens -= 1
                }
                if concurrency > 0, entry.inFlight >= concurrency {
                    throw Self.refusal(
                        "CONCURRENCY_LIMITED", "\(name)_concurrent_calls", concurrency,
                        retryAfterMs: Self.concurrencyRetryAfterMs, "\(name) calls in flight"
                    )
                }
                entry.inFlight += 1
                updated.append((subject, entry))
            }
            if entries.count + updated.count > capacity { Self.dropIdle(&entries, now: now, burstSeconds: burstSeconds) }
            for (subject, entry) in updated { entries[subject] = entry }
            return Permit(limiter: self, subjects: updated.map(\.0))
        }
    }

    private func release(_ subjects: [Subject]) {
        entries.withLock { entries in
            for subject in subjects {
                entries[subject]?.inFlight -= 1
            }
        }
    }

    private static func refusal(_ reason: String, _ limit: String, _ value: UInt32, retryAfterMs: UInt32, _ what: String) -> RPCError {
        RPCError(
            code: .resourceExhausted,
            message: "over the limit of \(value) \(what); retry after \(retryAfterMs) ms",
            details: ErrorDetails(reason: reason, metadata: ["limit": limit, "value": "\(value)"], retryAfterMs: retryAfterMs)
        )
    }

    private static func bucketSize(_ rate: UInt32, _ burstSeconds: Double) -> Double {
        max(1, Double(rate) * burstSeconds)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Drops entries with nothing in flight whose bucket would be full by now: they
    /// hold nothing a fresh entry would not.
    private static func dropIdle(_ entries: inout [Subject: Entry], now: ContinuousClock.Instant, burstSeconds: Double) {
        entries = entries.filter { _, entry in
            entry.inFlight > 0 || seconds(now - entry.refilledAt) < burstSeconds
        }
    }
}
