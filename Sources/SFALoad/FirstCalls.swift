import Synchronization

/// Which tenants a run has called: a call that is the first of the run to its tenant
/// is what a cold tenant costs when the run follows a server's start, the latency a
/// tenant's users see first after a restart or a deploy (`first_call_latency_ms` in
/// the report). One bit per distinct tenant: several fixtures (users) of one tenant
/// share it.
final class FirstCalls: Sendable {
    /// The bit of each fixture's tenant.
    private let slots: [Int]
    private let called: Mutex<[UInt64]>

    init(fixtures: [TenantFixture]) {
        var slotOfTenant: [String: Int] = [:]
        slots = fixtures.map { fixture in
            if let slot = slotOfTenant[fixture.tenantId] { return slot }
            slotOfTenant[fixture.tenantId] = slotOfTenant.count
            return slotOfTenant.count - 1
        }
        called = Mutex([UInt64](repeating: 0, count: (slotOfTenant.count + 63) / 64))
    }

    /// True for the first claim of the tenant of `fixture` (an index in the run's
    /// list), false for every later one, whichever worker makes it.
    func claim(fixture: Int) -> Bool {
        guard slots.indices.contains(fixture) else { return false }
        let slot = slots[fixture]
        let bit = UInt64(1) << UInt64(slot % 64)
        return called.withLock { called in
            guard called[slot / 64] & bit == 0 else { return false }
            called[slot / 64] |= bit
            return true
        }
    }
}
