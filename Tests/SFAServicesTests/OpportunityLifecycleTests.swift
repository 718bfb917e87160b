import SFAClient
import SFAServices
import SFAStubs
import Testing

/// A deal's life over the real server: from a partner's lead through qualification,
/// conversion and every stage to closed won, with a history that shows every step,
/// and the partner that brought the lead — and only that partner — reading the deal.
@Suite struct OpportunityLifecycleTests {
    @Test func aPartnersLeadBecomesADealThatMovesThroughEveryStageToClosedWon() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Journey")
            let partnerLeads = stack.leads(tenant.keys[.partner])
            let created = try await partnerLeads.createLead(CreateLeadRequest(lead: Lead(
                lastName: "Sato", email: "sato@kaisha.example", companyName: "Kaisha KK", source: .partner, sourceDetail: "reseller portal"
            )))
            var lead = try #require(created.lead)
            lead = try await stack.leads(tenant.keys[.marketing]).markLeadMql(MarkLeadMqlRequest(id: lead.id, version: lead.version))
            let insideSales = stack.leads(tenant.keys[.insideSales])
            lead = try await insideSales.qualifyLead(QualifyLeadRequest(id: lead.id, version: lead.version, needIdentified: true, budgetConfirmed: true))
            let rep = tenant.users[.rep]!
            let converted = try await insideSales.convertLead(ConvertLeadRequest(
                id: lead.id, version: lead.version,
                opportunity: ConvertLeadOpportunity(name: "Kaisha rollout", amount: Money(currencyCode: "JPY", amountMinor: 12_345_678), expectedCloseDate: "2027-03-31"),
                ownerUserId: rep.id
            ))
            #expect(converted.converted)
            #expect(converted.lead?.lifecycle == .sql)

            let deals = stack.opportunities(tenant.keys[.rep])
            var deal = try await deals.getOpportunity(GetOpportunityRequest(id: converted.opportunityId))
            let pipeline = try #require(try await stack.pipelines(tenant.keys[.rep]).listPipelines(ListPipelinesRequest()).pipelines.first)
            #expect(deal.pipelineId == pipeline.id)
            #expect(deal.stageId == pipeline.stages[0].id)
            #expect(deal.probabilityPercent == 10)
            #expect(deal.forecastCategory == .pipeline)
            #expect(deal.state == .open)
            #expect(deal.ownerUserId == rep.id)
            #expect(deal.teamId == "t1")
            #expect(deal.sourceLeadId == lead.id)
            #expect(deal.source == .partner)
            #expect(deal.sourceDetail == "reseller portal")
            #expect(deal.partnerSourceId == tenant.users[.partner]!.id)
            #expect(deal.primaryContactId == converted.contactId)
            // 12,345,678 yen at 10%, rounded half away from zero: 1,234,567.8 -> 1,234,568.
            #expect(deal.weightedAmount == Money(currencyCode: "JPY", amountMinor: 1_234_568))

            for stage in pipeline.stages[1...4] {
                deal = try await deals.moveOpportunityStage(MoveOpportunityStageRequest(id: deal.id, version: deal.version, stageId: stage.id))
                #expect(deal.probabilityPercent == stage.defaultProbabilityPercent)
                #expect(deal.forecastCategory == stage.forecastCategory)
            }
            deal = try await deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: .won, closedDate: "2026-11-02"))
            #expect(deal.state == .won)
            #expect(deal.stageId == pipeline.stages[5].id)
            #expect(deal.probabilityPercent == 100)
            #expect(deal.forecastCategory == .closed)
            #expect(deal.closedDate == "2026-11-02")
            #expect(deal.weightedAmount?.amountMinor == 12_345_678)

            let history = try await deals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)).entries
            #expect(history.map(\.kind) == [.created, .stageChanged, .stageChanged, .stageChanged, .stageChanged, .closedWon])
            #expect(history.map(\.stageName) == pipeline.stages[0...5].map(\.name))
            #expect(history.dropFirst().map(\.previousStageName) == pipeline.stages[0...4].map(\.name))
            #expect(history.map(\.probabilityPercent) == [10, 20, 40, 60, 80, 100])
            #expect(history.dropFirst().map(\.previousProbabilityPercent) == [10, 20, 40, 60, 80])
            #expect(history.map(\.version) == Array(1...6).map(Int64.init))
            #expect(history[0].changedByUserId == tenant.users[.insideSales]!.id)
            #expect(history.dropFirst().allSatisfy { $0.changedByUserId == rep.id })
            #expect(zip(history, history.dropFirst()).allSatisfy { $0.changeTimeMs <= $1.changeTimeMs })
            #expect(history.last?.previousState == .open)
            #expect(history.last?.state == .won)

            // The partner whose lead it was reads the deal; another partner does not.
            let partnerDeals = stack.opportunities(tenant.keys[.partner])
            #expect(try await partnerDeals.getOpportunity(GetOpportunityRequest(id: deal.id)).id == deal.id)
            #expect(try await partnerDeals.listOpportunities(ListOpportunitiesRequest()).opportunities.map(\.id) == [deal.id])
            let admin = stack.admin(tenant.keys[.admin])
            let other = try await admin.createUser(CreateUserRequest(user: User(displayName: "Other partner", email: "other@partner.example", role: .partner)))
            let otherKey = try await admin.issueApiKey(IssueApiKeyRequest(userId: other.id)).secret
            let otherDeals = stack.opportunities(otherKey)
            #expect(await statusOf { try await otherDeals.getOpportunity(GetOpportunityRequest(id: deal.id)) } == .notFound)
            #expect(try await otherDeals.listOpportunities(ListOpportunitiesRequest()).opportunities.isEmpty)
            // Partners read no history and change nothing.
            #expect(await statusOf { try await partnerDeals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)) } == .permissionDenied)
        }
    }

    @Test func aNurturedLeadComesBackAsMqlIsQualifiedAndConverted() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Recycle")
            let marketing = stack.leads(tenant.keys[.marketing])
            var lead = try #require(try await marketing.createLead(CreateLeadRequest(lead: Lead(
                lastName: "Kim", email: "kim@hanbit.example", companyName: "Hanbit", source: .webinar
            ))).lead)
            lead = try await marketing.markLeadMql(MarkLeadMqlRequest(id: lead.id, version: lead.version))
            let firstMql = lead.mqlTimeMs
            #expect(firstMql > 0)
            #expect(lead.reMqlCount == 0)
            lead = try await marketing.disqualifyLead(DisqualifyLeadRequest(id: lead.id, version: lead.version, reason: "no budget this year", target: .nurture))
            #expect(lead.status == .nurture)
            lead = try await marketing.markLeadMql(MarkLeadMqlRequest(id: lead.id, version: lead.version))
            #expect(lead.lifecycle == .mql)
            #expect(lead.status == .open)
            #expect(lead.mqlTimeMs == firstMql)
            #expect(lead.lastMqlTimeMs >= firstMql)
            #expect(lead.reMqlCount == 1)
            // An MQL that is not in nurture is not marked again.
            #expect(await statusOf { try await marketing.markLeadMql(MarkLeadMqlRequest(id: lead.id, version: lead.version)) } == .failedPrecondition)

            let insideSales = stack.leads(tenant.keys[.insideSales])
            lead = try await insideSales.qualifyLead(QualifyLeadRequest(id: lead.id, version: lead.version, needIdentified: true))
            #expect(lead.lifecycle == .sql)
            let converted = try await insideSales.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version))
            #expect(converted.converted)
            #expect(converted.lead?.status == .converted)
            #expect(converted.lead?.sqlTimeMs == lead.sqlTimeMs)
        }
    }

    @Test func aRepQualifiesAndConvertsTheirOwnLeadAndConversionCountsAsSql() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Self Sourced")
            let leads = stack.leads(tenant.keys[.rep])
            var lead = try #require(try await leads.createLead(CreateLeadRequest(lead: Lead(
                lastName: "Yamada", phone: "+81 3 1234 5678", companyName: "Yamada Shoji", source: .referral
            ))).lead)
            lead = try await leads.qualifyLead(QualifyLeadRequest(id: lead.id, version: lead.version, needIdentified: true))
            #expect(lead.lifecycle == .sql)
            #expect(lead.qualification?.decidedByUserId == tenant.users[.rep]!.id)
            let converted = try await leads.convertLead(ConvertLeadRequest(
                id: lead.id, version: lead.version,
                opportunity: ConvertLeadOpportunity(name: "Yamada", amount: Money(currencyCode: "JPY", amountMinor: 500_000), expectedCloseDate: "2027-06-30")
            ))
            #expect(converted.converted)
            let deal = try await stack.opportunities(tenant.keys[.rep]).getOpportunity(GetOpportunityRequest(id: converted.opportunityId))
            #expect(deal.ownerUserId == tenant.users[.rep]!.id)
            #expect(deal.source == .referral)
            #expect(deal.partnerSourceId.isEmpty)

            // A lead marketing created is not the rep's to qualify straight away.
            var marketingLead = try #require(try await stack.leads(tenant.keys[.marketing]).createLead(CreateLeadRequest(lead: Lead(
                lastName: "Mori", email: "mori@mori.example", companyName: "Mori", source: .website, ownerUserId: tenant.users[.rep]!.id
            ))).lead)
            let refused = try #require(await failure {
                try await leads.qualifyLead(QualifyLeadRequest(id: marketingLead.id, version: marketingLead.version, needIdentified: true))
            })
            #expect(refused.details.reason == "INVALID_STATE_TRANSITION")
            // Nor is a lead marketing created for itself, by anyone (inside sales included).
            let ownLead = try #require(try await stack.leads(tenant.keys[.marketing]).createLead(CreateLeadRequest(lead: Lead(
                lastName: "Ito", email: "ito@ito.example", companyName: "Ito", source: .website
            ))).lead)
            #expect(!ownLead.salesSourced)
            let skipping = try #require(await failure {
                try await stack.leads(tenant.keys[.insideSales]).qualifyLead(QualifyLeadRequest(id: ownLead.id, version: ownLead.version, needIdentified: true))
            })
            #expect(skipping.details.reason == "INVALID_STATE_TRANSITION")
            // A lead converted without qualification still reached SQL.
            marketingLead = try await stack.leads(tenant.keys[.marketing]).getLead(GetLeadRequest(id: marketingLead.id))
            let direct = try await leads.convertLead(ConvertLeadRequest(id: marketingLead.id, version: marketingLead.version))
            #expect(direct.lead?.lifecycle == .sql)
            #expect((direct.lead?.sqlTimeMs ?? 0) > 0)
            #expect(direct.lead?.sqlTimeMs == direct.lead?.convertedTimeMs)
        }
    }

    @Test func aTenantMayRequireQualificationBeforeConversion() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Strict")
            let settings = stack.settings(tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: current.version, requireQualificationToConvert: true), updateMask: ["require_qualification_to_convert"]
            ))
            let leads = stack.leads(tenant.keys[.insideSales])
            let lead = try #require(try await leads.createLead(CreateLeadRequest(lead: Lead(
                lastName: "Lee", email: "lee@strict.example", companyName: "Strict", source: .website
            ))).lead)
            let refused = try #require(await failure { try await leads.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version)) })
            #expect(refused.code == .failedPrecondition)
            #expect(refused.details.reason == "QUALIFICATION_REQUIRED")
            let unchanged = try await leads.getLead(GetLeadRequest(id: lead.id))
            #expect(unchanged.version == lead.version)
            #expect(unchanged.status == lead.status)
        }
    }

    @Test func conversionFindsAccountsAsTheCallerReadsThemAndReportsLikelyDuplicates() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Convert Into")
            // An account the manager owns, complete: a rep links to it without changing it.
            let existing = try await stack.accounts(tenant.keys[.manager]).createAccount(CreateAccountRequest(account: Account(
                name: "Acme, Inc.", website: "https://acme.example", phone: "+1 555 0100"
            )))
            let leads = stack.leads(tenant.keys[.rep])
            let lead = try #require(try await leads.createLead(CreateLeadRequest(lead: Lead(
                lastName: "Doe", email: "doe@acme.example", companyName: "ACME Inc", website: "https://other.example", source: .referral
            ))).lead)
            // Converting without naming it: the existing account is reported, nothing is converted.
            let reported = try await leads.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version))
            #expect(!reported.converted)
            #expect(reported.duplicates.map(\.recordKind) == [.account])
            #expect(reported.duplicates.first?.recordId == existing.id)
            #expect(try await leads.getLead(GetLeadRequest(id: lead.id)).status == lead.status)

            let into = try await leads.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version, existingAccountId: existing.id))
            #expect(into.converted)
            #expect(into.accountId == existing.id)
            #expect(!into.accountCreated)
            let account = try await stack.accounts(tenant.keys[.rep]).getAccount(GetAccountRequest(id: existing.id))
            #expect(account.version == existing.version)
            #expect(account.website == "https://acme.example")

            // Told to, conversion creates a second account anyway.
            let twin = try #require(try await leads.createLead(CreateLeadRequest(lead: Lead(
                lastName: "Roe", email: "roe@acme.example", companyName: "Acme", source: .referral
            ))).lead)
            let forced = try await leads.convertLead(ConvertLeadRequest(id: twin.id, version: twin.version, allowDuplicate: true))
            #expect(forced.converted)
            #expect(forced.accountCreated)
            #expect(forced.accountId != existing.id)
        }
    }
}
