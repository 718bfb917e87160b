import SFAClient
import SFAStubs
import Testing

/// Per-tenant call limits set by an operator through AdminService, applied from the
/// next call, refused with a retry hint the client honours.
@Suite struct TenantLimitTests {
    @Test func aTenantOverItsRateIsRefusedWithARetryHintWhileAnotherIsNot() async throws {
        try await withStack { stack in
            let limited = try await stack.makeTenant("Limited")
            let other = try await stack.makeTenant("Unlimited")
            let operatorAdmin = stack.admin(stack.operatorKey)
            let set = try await operatorAdmin.setTenantLimits(
                SetTenantLimitsRequest(tenantId: limited.tenant.id, overrides: CallLimits(tenantCallsPerSecond: 1))
            )
            #expect(set.overrides == CallLimits(tenantCallsPerSecond: 1))
            #expect(set.effective == CallLimits(tenantCallsPerSecond: 1, tenantConcurrentCalls: 512, keyConcurrentCalls: 128))

            // Twenty calls at once: two seconds' worth pass, the others are refused
            // (however slow the machine, unless they took 18 s to arrive); the other
            // tenant calls as it likes meanwhile.
            let leads = stack.leads(limited.keys[.rep])
            let refusals = await withTaskGroup(of: RPCError?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await leads.listLeads(ListLeadsRequest())
                            return nil
                        } catch {
                            return error as? RPCError
                        }
                    }
                }
                return await group.reduce(into: [RPCError]()) { if let error = $1 { $0.append(error) } }
            }
            for _ in 0..<20 { _ = try await stack.leads(other.keys[.rep]).listLeads(ListLeadsRequest()) }
            let error = try #require(refusals.first)
            #expect(error.code == .resourceExhausted)
            #expect(error.details.reason == "RATE_LIMITED")
            #expect((1...1000).contains(error.details.retryAfterMs))
            #expect(error.details.metadata["limit"] == "tenant_calls_per_second")

            // The tenant's admin sees its limits but cannot raise them.
            let tenantAdmin = stack.admin(limited.keys[.admin])
            try await Task.sleep(for: .seconds(1))
            #expect(try await tenantAdmin.getTenantLimits(GetTenantLimitsRequest()).overrides == CallLimits(tenantCallsPerSecond: 1))
            #expect(await statusOf { try await tenantAdmin.setTenantLimits(SetTenantLimitsRequest(overrides: CallLimits())) } == .permissionDenied)

            // Cleared, the defaults apply again from the next call.
            _ = try await operatorAdmin.setTenantLimits(SetTenantLimitsRequest(tenantId: limited.tenant.id))
            for _ in 0..<30 { _ = try await leads.listLeads(ListLeadsRequest()) }
        }
    }

    /// Retrying before `retry_after_ms` would be refused again: a client that retries
    /// by its own backoff alone (at most 350 ms over three retries) cannot get past a
    /// bucket that takes a second to refill; one that waits for the hint does.
    @Test func theClientWaitsForTheRetryHintAndTheCallSucceeds() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Patient")
            _ = try await stack.admin(stack.operatorKey).setTenantLimits(
                SetTenantLimitsRequest(tenantId: tenant.tenant.id, overrides: CallLimits(keyCallsPerSecond: 1))
            )
            let key = tenant.keys[.rep]
            let impatient = stack.leads(key)
            for _ in 0..<2 { _ = try await impatient.listLeads(ListLeadsRequest()) }
            #expect(await statusOf { try await impatient.listLeads(ListLeadsRequest()) } == .resourceExhausted)

            // CreateLead is not idempotent: retried all the same, since a refused call did not start.
            let patient = LeadServiceClient(RPCClient(configuration: ClientConfiguration(port: stack.port, apiKey: key)))
            let start = ContinuousClock.now
            let created = try await patient.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead()))
            print("created after waiting \(ContinuousClock.now - start) for the key's bucket")
            #expect(created.created)
            #expect(try await patient.listLeads(ListLeadsRequest()).leads.count == 1)
        }
    }
}
