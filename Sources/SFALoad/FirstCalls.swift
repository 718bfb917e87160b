import Synchronization

/// Which tenants a run has called: a call that is the first of the run to its tenant
/// is what a cold tenant costs when the run follows a server's start, the latency a
/// tenant's users see first after a restart or a deploy (`first_call_latency_ms` in
/// the report). One bit per tenant of the run's list.
final class FirstCalls: Sendable {
    private let called: Mutex<[UInt64]>

    init(tenants: Int) {
        called = Mutex([UInt64](repeating: 0, count: (max(0, tenants) + 63) / 64))
    }

    /// True for the first claim of `tenant` (an index in the run's list), false for
    /// every later one, whichever worker makes it.
    func claim(_ tenant: Int) -> Bool {
        let word = tenant / 64
        let bit = UInt64(1) << UInt64(tenant % 64)
        return called.withLock { called in
            guard called.indices.contains(word), called[word] & bit == 0 else { return false }
            called[word] |= bit
            return true
        }
    }
}
