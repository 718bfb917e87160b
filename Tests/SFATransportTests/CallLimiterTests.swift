import SFARPC
import SFAStubs
import Testing

/// Token buckets and in-flight counts per tenant and per key, on a clock the test moves.
@Suite struct CallLimiterTests {
    private let start = ContinuousClock.now

    private func principal(tenant: String? = "ten_a", key: String = "key_a", overrides: CallLimits = CallLimits()) -> Principal {
        Principal(tenantID: tenant, userID: "user", role: .rep, teamID: "", keyID: key, scope: .own, tenantLimits: overrides)
    }

    private func refusal(_ body: () throws(RPCError) -> CallLimiter.Permit) -> RPCError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func aTenantGetsTwoSecondsOfBurstThenOneCallPerTokenWithARetryHint() throws {
        let limiter = CallLimiter(configuration: CallLimiterConfiguration(tenantCallsPerSecond: 10))
        for _ in 0..<20 { _ = try limiter.start(principal(), now: start) }
        let error = try #require(refusal { () throws(RPCError) in try limiter.start(principal(), now: start) })
        #expect(error.code == .resourceExhausted)
        #expect(error.details.reason == "RATE_LIMITED")
        #expect(error.details.retryAfterMs == 100)
        #expect(error.details.metadata == ["limit": "tenant_calls_per_second", "value": "10"])
        // A tenth of a second later one token is back, and only one.
        _ = try limiter.start(principal(), now: start + .milliseconds(100))
        #expect(refusal { () throws(RPCError) in try limiter.start(principal(), now: start + .milliseconds(100)) } != nil)
    }

    @Test func oneTenantOverItsRateLeavesAnotherTenantItsWholeBucket() throws {
        let limiter = CallLimiter(configuration: CallLimiterConfiguration(tenantCallsPerSecond: 1))
        for _ in 0..<2 { _ = try limiter.start(principal(), now: start) }
        #expect(refusal { () throws(RPCError) in try limiter.start(principal(), now: start) } != nil)
        for _ in 0..<2 { _ = try limiter.start(principal(tenant: "ten_b", key: "key_b"), now: start) }
    }

    @Test func aCallRefusedByItsKeyTakesNothingFromItsTenant() throws {
        let limiter = CallLimiter(configuration: CallLimiterConfiguration(tenantCallsPerSecond: 2, keyCallsPerSecond: 1))
        for _ in 0..<2 { _ = try limiter.start(principal(key: "key_busy"), now: start) }
        let error = refusal { () throws(RPCError) in try limiter.start(principal(key: "key_busy"), now: start) }
        #expect(error?.details.metadata["limit"] == "key_calls_per_second")
        // The tenant's bucket (4 calls) lost only the two calls that started.
        for _ in 0..<2 { _ = try limiter.start(principal(key: "key_other"), now: start) }
        #expect(refusal { () throws(RPCError) in try limiter.start(principal(key: "key_third"), now: start) }?.details.metadata["limit"] == "tenant_calls_per_second")
    }

    @Test func callsInFlightAreCappedPerKeyAndPerTenantUntilOneEnds() throws {
        let limiter = CallLimiter(configuration: CallLimiterConfiguration(tenantConcurrentCalls: 3, keyConcurrentCalls: 2))
        let first = try limiter.start(principal(key: "key_1"))
        _ = try limiter.start(principal(key: "key_1"))
        let keyRefusal = refusal { () throws(RPCError) in try limiter.start(principal(key: "key_1")) }
        #expect(keyRefusal?.details.reason == "CONCURRENCY_LIMITED")
        #expect(keyRefusal?.details.retryAfterMs == 50)
        _ = try limiter.start(principal(key: "key_2"))
        #expect(refusal { () throws(RPCError) in try limiter.start(principal(key: "key_3")) }?.details.metadata["limit"] == "tenant_concurrent_calls")
        first.end()
        _ = try limiter.start(principal(key: "key_1"))
    }

    @Test func aTenantsOverridesReplaceTheDefaultsFieldByField() throws {
        let configuration = CallLimiterConfiguration(tenantCallsPerSecond: 100, tenantConcurrentCalls: 7)
        let effective = configuration.effective(CallLimits(tenantCallsPerSecond: 1, keyConcurrentCalls: 3))
        #expect(effective == CallLimits(tenantCallsPerSecond: 1, tenantConcurrentCalls: 7, keyCallsPerSecond: 0, keyConcurrentCalls: 3))
        let limiter = CallLimiter(configuration: configuration)
        let limited = principal(overrides: CallLimits(tenantCallsPerSecond: 1))
        for _ in 0..<2 { _ = try limiter.start(limited, now: start) }
        #expect(refusal { () throws(RPCError) in try limiter.start(limited, now: start) }?.details.retryAfterMs == 1000)
    }

    @Test func callsNoGateAdmittedAndKeylessHealthChecksAreNotLimited() throws {
        let limiter = CallLimiter(configuration: CallLimiterConfiguration(tenantCallsPerSecond: 1, tenantConcurrentCalls: 1, keyCallsPerSecond: 1, keyConcurrentCalls: 1))
        for _ in 0..<10 {
            _ = try limiter.start(nil, now: start)
            _ = try limiter.start(principal(tenant: nil, key: ""), now: start)
        }
    }
}
