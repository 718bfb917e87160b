import SFALoad
import SFAStubs
import SFATestSupport
import Testing

/// SFALoad's runner as the acceptance tests use it (ChangeFeedMirrorTests,
/// ScaleOutTests): its observer and its connections that follow redirects, against a
/// real server.
@Suite struct LoadRunnerTests {
    @Test(arguments: [0, 20]) func anObserverIsToldOfEverySuccessfulCallAndOfNoFailedOne(maximumRedirects: Int) async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Observed")
            let key = tenant.keys[.rep]!
            let lead = try #require(try await stack.leads(key).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("seen"))).lead)
            // Half the calls name a lead the tenant lacks: NOT_FOUND.
            let fixture = TenantFixture(tenantId: tenant.tenant.id, apiKey: key, leads: [lead.id, "led_0000000000000000000000000"])
            let replies = AcknowledgedCalls(writesOnly: false)
            var plan = LoadPlan(port: stack.port, connections: 2, inFlight: 3, stop: .count(60))
            plan.maximumRedirects = maximumRedirects
            let outcome = try await LoadRunner.run(
                plan: plan, scenario: try .method("LeadService/GetLead", body: #"{"id": "{{lead}}"}"#), tenants: [fixture], skew: .uniform,
                seed: 5, observer: replies.observer
            )

            let seen = replies.all
            // Both kinds of call were made: the seed picks the lead of each call.
            #expect(seen.count > 0 && seen.count < 60)
            #expect(seen.count == outcome.recorder.succeeded)
            #expect(outcome.recorder.failures == ["GetLead": ["NOT_FOUND": 60 - seen.count]])
            for reply in seen {
                #expect(reply.step == "GetLead" && reply.method == LeadServiceMethods.getLead && reply.tenant == fixture)
                #expect((reply.request as? GetLeadRequest)?.id == lead.id)
                #expect((reply.response as? Lead) == lead)
            }
        }
    }

    /// A tenant's first call of the run is counted apart (after a restart, the cold
    /// open a tenant's users see first), once per tenant whichever worker makes it.
    @Test func eachTenantsFirstCallOfTheRunIsCountedOnce() async throws {
        try await withStack { stack in
            var fixtures: [TenantFixture] = []
            for name in ["first-a", "first-b", "first-c"] {
                let tenant = try await stack.makeTenant(name)
                let key = tenant.keys[.rep]!
                let lead = try #require(try await stack.leads(key).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead(name))).lead)
                fixtures.append(TenantFixture(tenantId: tenant.tenant.id, apiKey: key, leads: [lead.id]))
            }
            let replies = AcknowledgedCalls(writesOnly: false)
            let plan = LoadPlan(port: stack.port, connections: 2, inFlight: 4, stop: .count(30))
            let outcome = try await LoadRunner.run(
                plan: plan, scenario: try .method("LeadService/GetLead", body: #"{"id": "{{lead}}"}"#), tenants: fixtures, skew: .uniform,
                seed: 3, observer: replies.observer
            )

            let called = Set(replies.all.map(\.tenant.tenantId))
            #expect(outcome.recorder.succeeded == 30 && called == Set(fixtures.map(\.tenantId)))
            #expect(outcome.recorder.firstCalls.totalCount == 3)
            #expect(outcome.recorder.latencies["GetLead"]?.totalCount == 30)
        }
    }

    /// Without an observer a template step sends the bytes it encoded and does not
    /// decode the replies: what the server stored is what the template made.
    @Test func aTemplateRunWithoutAnObserverWritesTheBodiesItGenerated() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Templated")
            let key = tenant.keys[.rep]!
            let fixture = TenantFixture(tenantId: tenant.tenant.id, apiKey: key)
            let plan = LoadPlan(port: stack.port, connections: 2, inFlight: 4, stop: .count(12))
            let body = #"""
                {"lead": {"last_name": "Load {{seq}} \"q\"", "company_name": "{{company}}", "email": "{{email}}",
                 "source": "{{pick website}}"}, "allow_duplicate": {{pick true}}}
                """#
            let outcome = try await LoadRunner.run(
                plan: plan, scenario: try .method("LeadService/CreateLead", body: body), tenants: [fixture], skew: .uniform, seed: 9
            )

            #expect(outcome.recorder.succeeded == 12 && outcome.recorder.failures.isEmpty)
            let listed = try await stack.leads(key).listLeads(ListLeadsRequest(pageSize: 100)).leads
            #expect(listed.map(\.lastName).sorted() == (0..<12).map { "Load \($0) \"q\"" }.sorted())
            #expect(listed.allSatisfy { $0.source == .website && $0.email.hasPrefix("load") && !$0.companyName.isEmpty })
        }
    }

    @Test(arguments: [0, 20]) func aRunAgainstNoServerFailsBeforeItStarts(maximumRedirects: Int) async throws {
        var plan = LoadPlan(port: try freeLoopbackPort(), stop: .count(1))
        plan.maximumRedirects = maximumRedirects
        let refused = await #expect(throws: RPCError.self) {
            try await LoadRunner.run(plan: plan, scenario: try .named("sales-day"), tenants: [.init(apiKey: "sfa_none")], skew: .uniform)
        }
        #expect(refused?.code == .unavailable)
    }
}
