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

    /// A bucket of two that refills one a second refuses calls sent together past it
    /// (a client without retries sees RESOURCE_EXHAUSTED); a client that waits for the
    /// `retry_after_ms` hint gets four calls at once through it. Calls go out
    /// together, so that a loaded machine's slowness does not refill the bucket
    /// between them.
    @Test func theClientWaitsForTheRetryHintAndEveryCallSucceeds() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Patient")
            _ = try await stack.admin(stack.operatorKey).setTenantLimits(
                SetTenantLimitsRequest(tenantId: tenant.tenant.id, overrides: CallLimits(keyCallsPerSecond: 1))
            )
            let key = tenant.keys[.rep]
            // Without retries, 20 calls against a bucket of two: some are refused unless
            // the machine's load spreads them over more than 18 seconds.
            let impatient = stack.leads(key)
            let statuses = await withTaskGroup(of: StatusCode?.self) { group in
                for _ in 0..<20 { group.addTask { await statusOf { try await impatient.listLeads(ListLeadsRequest()) } } }
                return await group.reduce(into: [StatusCode?]()) { $0.append($1) }
            }
            #expect(statuses.contains(.resourceExhausted))

            // A full bucket again (two calls), then four calls at once: two pass, the
            // others wait for their hints, one token a second, within four attempts.
            // CreateLead is not idempotent: retried all the same, since a refused call
            // did not start.
            try await Task.sleep(for: .seconds(2))
            let patient = LeadServiceClient(RPCClient(configuration: ClientConfiguration(port: stack.port, apiKey: key)))
            let start = ContinuousClock.now
            let created = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<4 {
                    group.addTask { try await patient.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("\(index)"))).created }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            print("4 leads created through a bucket of 2 in \(ContinuousClock.now - start)")
            #expect(created == [true, true, true, true])
            #expect(try await patient.listLeads(ListLeadsRequest()).leads.count == 4)
        }
    }
}
