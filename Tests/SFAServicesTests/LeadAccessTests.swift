import SFAStubs
import Testing

/// Who may do what with leads (SPEC §4), over the real server.
@Suite struct LeadAccessTests {
    @Test func marketingMarksMqlButCannotConvertInsideSalesQualifiesAndConverts() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Roles")
            let marketing = stack.leads(tenant.keys[.marketing])
            let insideSales = stack.leads(tenant.keys[.insideSales])
            var lead = try #require(try await marketing.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead)
            lead = try await marketing.markLeadMql(MarkLeadMqlRequest(id: lead.id, version: lead.version))
            #expect(await statusOf { try await marketing.qualifyLead(QualifyLeadRequest(id: lead.id, version: lead.version, needIdentified: true)) } == .permissionDenied)
            #expect(await statusOf { try await marketing.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version)) } == .permissionDenied)
            lead = try await insideSales.qualifyLead(QualifyLeadRequest(id: lead.id, version: lead.version, needIdentified: true))
            let converted = try await insideSales.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version))
            #expect(converted.lead?.status == .converted)
        }
    }

    @Test func aRepCannotTouchAnotherRepsLead() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Reps")
            let admin = stack.admin(tenant.keys[.admin])
            let otherRep = try await admin.createUser(CreateUserRequest(user: User(displayName: "Other Rep", email: "other.rep@reps.example", role: .rep)))
            let otherKey = try await admin.issueApiKey(IssueApiKeyRequest(userId: otherRep.id)).secret
            let rep = stack.leads(tenant.keys[.rep])
            let other = stack.leads(otherKey)
            let mine = try #require(try await rep.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead)
            // To the other rep the lead does not exist, and nothing changes.
            #expect(await statusOf { try await other.getLead(GetLeadRequest(id: mine.id)) } == .notFound)
            #expect(await statusOf {
                try await other.updateLead(UpdateLeadRequest(lead: Lead(id: mine.id, version: mine.version, notes: "mine now"), updateMask: ["notes"]))
            } == .notFound)
            #expect(await statusOf { try await other.convertLead(ConvertLeadRequest(id: mine.id, version: mine.version)) } == .notFound)
            #expect(try await other.listLeads(ListLeadsRequest()).leads.isEmpty)
            #expect(try await rep.getLead(GetLeadRequest(id: mine.id)) == mine)
            // A rep cannot hand a new lead to someone else either.
            var forOther = LeadLifecycleTests.sampleLead("2")
            forOther.ownerUserId = otherRep.id
            #expect(await statusOf { try await rep.createLead(CreateLeadRequest(lead: forOther)) } == .invalidArgument)
            // The manager of the team sees the rep's lead.
            let managerView = try await stack.leads(tenant.keys[.manager]).listLeads(ListLeadsRequest())
            #expect(managerView.leads.map(\.id).contains(mine.id))
        }
    }

    @Test func aPartnerSeesOnlyTheLeadsItCreated() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Partners")
            let partner = stack.leads(tenant.keys[.partner])
            let marketing = stack.leads(tenant.keys[.marketing])
            let pushed = try #require(try await partner.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("p"))).lead)
            #expect(pushed.partnerSourceId == tenant.users[.partner]!.id)
            #expect(pushed.ownerUserId.isEmpty)
            let inHouse = try #require(try await marketing.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("m"))).lead)
            #expect(try await partner.listLeads(ListLeadsRequest()).leads.map(\.id) == [pushed.id])
            #expect(await statusOf { try await partner.getLead(GetLeadRequest(id: inHouse.id)) } == .notFound)
            #expect(try await partner.getLead(GetLeadRequest(id: pushed.id)).id == pushed.id)
            // A partner that pushes a lead matching someone else's learns there is a duplicate, not whose.
            var copy = LeadLifecycleTests.sampleLead("m")
            copy.firstName = "Someone"
            let duplicate = try await partner.createLead(CreateLeadRequest(lead: copy))
            #expect(!duplicate.created)
            #expect(duplicate.duplicates.first?.recordId == "")
            #expect(await statusOf { try await partner.markLeadMql(MarkLeadMqlRequest(id: pushed.id, version: 1)) } == .permissionDenied)
        }
    }

    @Test func aViewerReadsButChangesNothing() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Viewers")
            let lead = try #require(try await stack.leads(tenant.keys[.marketing]).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead)
            let viewer = stack.leads(tenant.keys[.viewer])
            #expect(try await viewer.getLead(GetLeadRequest(id: lead.id)) == lead)
            #expect(try await viewer.listLeads(ListLeadsRequest()).leads.count == 1)
            #expect(await statusOf { try await viewer.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("v"))) } == .permissionDenied)
            #expect(await statusOf {
                try await viewer.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: 1, notes: "x"), updateMask: ["notes"]))
            } == .permissionDenied)
            #expect(await statusOf { try await viewer.assignLead(AssignLeadRequest(id: lead.id, version: 1, ownerUserId: tenant.users[.rep]!.id)) } == .permissionDenied)
            let accounts = stack.accounts(tenant.keys[.viewer])
            #expect(await statusOf { try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Nope"))) } == .permissionDenied)
            #expect(try await stack.leads(tenant.keys[.marketing]).getLead(GetLeadRequest(id: lead.id)) == lead)
        }
    }
}

/// Leads pushed by partner keys start unassigned and wait in a routing queue.
@Suite struct LeadRoutingTests {
    @Test func aPartnerLeadWaitsUnassignedUntilAManagerRoutesIt() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Routing")
            let partner = stack.leads(tenant.keys[.partner])
            let manager = stack.leads(tenant.keys[.manager])
            let rep = stack.leads(tenant.keys[.rep])
            let pushed = try #require(try await partner.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("p"))).lead)
            #expect(pushed.ownerUserId.isEmpty && pushed.partnerSourceId == tenant.users[.partner]!.id)
            let ownByRep = try #require(try await rep.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("r"))).lead)

            // The manager sees the queue, and only it when asking for it; a rep does not.
            #expect(try await manager.listLeads(ListLeadsRequest(unassigned: true)).leads.map(\.id) == [pushed.id])
            #expect(Set(try await manager.listLeads(ListLeadsRequest()).leads.map(\.id)) == [pushed.id, ownByRep.id])
            #expect(try await rep.listLeads(ListLeadsRequest()).leads.map(\.id) == [ownByRep.id])
            #expect(await statusOf { try await rep.getLead(GetLeadRequest(id: pushed.id)) } == .notFound)

            let routed = try await manager.assignLead(AssignLeadRequest(id: pushed.id, version: pushed.version, ownerUserId: tenant.users[.rep]!.id))
            #expect(routed.ownerUserId == tenant.users[.rep]!.id)
            #expect(try await manager.listLeads(ListLeadsRequest(unassigned: true)).leads.isEmpty)
            #expect(try await rep.getLead(GetLeadRequest(id: pushed.id)).id == pushed.id)
            // The partner still sees what it pushed.
            #expect(try await partner.getLead(GetLeadRequest(id: pushed.id)).ownerUserId == tenant.users[.rep]!.id)
        }
    }
}
