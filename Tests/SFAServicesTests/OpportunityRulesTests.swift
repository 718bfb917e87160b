import SFAClient
import SFAServices
import SFAStubs
import Testing

/// What the opportunity methods refuse, and that a refusal changes nothing; closing,
/// reopening, reassigning; exact money; concurrent moves.
@Suite struct OpportunityRulesTests {
    /// A tenant with an account and an open deal of its rep in the default pipeline.
    struct Fixture {
        let stack: TestStack
        let tenant: TestTenant
        let pipeline: Pipeline
        let account: Account
        let deal: Opportunity
        var deals: OpportunityServiceClient { stack.opportunities(tenant.keys[.rep]) }
    }

    static func fixture(_ stack: TestStack, _ name: String, amount: Money = Money(currencyCode: "USD", amountMinor: 1_000_000)) async throws -> Fixture {
        let tenant = try await stack.makeTenant(name)
        let pipeline = try #require(try await stack.pipelines(tenant.keys[.rep]).listPipelines(ListPipelinesRequest()).pipelines.first)
        let account = try await stack.accounts(tenant.keys[.rep]).createAccount(CreateAccountRequest(account: Account(name: "\(name) Customer")))
        let deal = try await stack.opportunities(tenant.keys[.rep]).createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
            name: "\(name) deal", accountId: account.id, amount: amount, expectedCloseDate: "2027-05-31"
        )))
        return Fixture(stack: stack, tenant: tenant, pipeline: pipeline, account: account, deal: deal)
    }

    /// The deal and its history entry count, to show a refusal changed nothing.
    static func snapshot(_ fixture: Fixture) async throws -> (Opportunity, Int) {
        let deal = try await fixture.stack.opportunities(fixture.tenant.keys[.admin]).getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
        let history = try await fixture.stack.opportunities(fixture.tenant.keys[.admin]).getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: fixture.deal.id))
        return (deal, history.entries.count)
    }

    @Test func refusedMovesClosesAndArchivesChangeNothing() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Refusals")
            let other = try await Self.fixture(stack, "Elsewhere")
            let deal = fixture.deal
            let before = try await Self.snapshot(fixture)

            // A lost reason the tenant requires.
            let settings = stack.settings(fixture.tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(
                    version: current.version,
                    lostReasons: [LostReason(key: "price", label: "Price"), LostReason(key: "timing", label: "Timing", retired: true)],
                    requireLostReason: true
                ),
                updateMask: ["lost_reasons", "require_lost_reason"]
            ))
            let noReason = try #require(await failure { try await fixture.deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: .lost)) })
            #expect(noReason.code == .invalidArgument)
            #expect(noReason.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["lost_reason REQUIRED"])
            let retiredReason = try #require(await failure {
                try await fixture.deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: .lost, lostReason: "timing"))
            })
            #expect(retiredReason.details.fieldViolations.map(\.reason) == ["RETIRED"])
            let unknownReason = try #require(await failure {
                try await fixture.deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: .lost, lostReason: "weather"))
            })
            #expect(unknownReason.details.fieldViolations.map(\.reason) == ["NOT_FOUND"])

            // A stage of another tenant's pipeline does not exist here.
            let foreignStage = other.pipeline.stages[1].id
            let foreign = try #require(await failure {
                try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(id: deal.id, version: deal.version, stageId: foreignStage))
            })
            #expect(foreign.code == .invalidArgument)
            #expect(foreign.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["stage_id NOT_FOUND"])
            let foreignPipeline = try #require(await failure {
                try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(id: deal.id, version: deal.version, stageId: foreignStage, pipelineId: other.pipeline.id))
            })
            #expect(foreignPipeline.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["pipeline_id NOT_FOUND"])
            // Closing is CloseOpportunity's.
            let closedStage = try #require(await failure {
                try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(id: deal.id, version: deal.version, stageId: fixture.pipeline.stages[5].id))
            })
            #expect(closedStage.details.fieldViolations.map(\.reason) == ["NOT_ALLOWED"])
            // A stale version.
            let stale = try #require(await failure {
                try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(id: deal.id, version: deal.version + 1, stageId: fixture.pipeline.stages[1].id))
            })
            #expect(stale.code == .aborted)
            // A rep cannot archive: lost deals stay in the figures.
            #expect(await statusOf { try await fixture.deals.archiveOpportunity(ArchiveOpportunityRequest(id: deal.id, version: deal.version)) } == .permissionDenied)
            #expect(try await Self.snapshot(fixture) == before)

            // Closed lost with a reason, then a move without reopening is refused.
            let lost = try await fixture.deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: .lost, lostReason: "price", closeNote: "too dear"))
            #expect(lost.state == .lost)
            #expect(lost.probabilityPercent == 0)
            #expect(lost.forecastCategory == .omitted)
            #expect(lost.weightedAmount?.amountMinor == 0)
            #expect(lost.closedDate.count == 10)
            let afterClose = try await Self.snapshot(fixture)
            let move = try #require(await failure {
                try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(id: deal.id, version: lost.version, stageId: fixture.pipeline.stages[2].id))
            })
            #expect(move.code == .failedPrecondition)
            #expect(move.details.reason == "OPPORTUNITY_CLOSED")
            let again = try #require(await failure { try await fixture.deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: lost.version, outcome: .won)) })
            #expect(again.details.reason == "OPPORTUNITY_CLOSED")
            #expect(try await Self.snapshot(fixture) == afterClose)

            // The reason the deal carries stays in the settings: retired, never removed.
            let withReason = try await settings.getTenantSettings(GetTenantSettingsRequest())
            let removal = try #require(await failure {
                try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                    settings: TenantSettings(version: withReason.version, lostReasons: [LostReason(key: "timing", label: "Timing", retired: true)]),
                    updateMask: ["lost_reasons"]
                ))
            })
            #expect(removal.details.reason == "IN_USE")
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: withReason.version, lostReasons: [LostReason(key: "price", label: "Price", retired: true)]),
                updateMask: ["lost_reasons"]
            ))

            // The manager may archive it; then it is read-only.
            let archived = try await stack.opportunities(fixture.tenant.keys[.manager]).archiveOpportunity(ArchiveOpportunityRequest(id: deal.id, version: lost.version))
            #expect(archived.archived)
            let manager = stack.opportunities(fixture.tenant.keys[.manager])
            #expect(await failure { try await manager.reopenOpportunity(ReopenOpportunityRequest(id: deal.id, version: archived.version)) }?.details.reason == "ARCHIVED")
        }
    }

    @Test func reopeningClearsTheCloseAndReturnsToTheStageTheDealWasClosedFrom() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Reopen")
            var deal = try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(id: fixture.deal.id, version: fixture.deal.version, stageId: fixture.pipeline.stages[3].id))
            let tomorrow = try #require(await failure {
                try await fixture.deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: .lost, closedDate: "2999-01-01"))
            })
            #expect(tomorrow.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["closed_date OUT_OF_RANGE"])
            deal = try await fixture.deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: .lost, closeNote: "went quiet"))
            // A closed deal keeps its figures, and a rep cannot reopen it.
            let lowered = try #require(await failure {
                try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(
                    opportunity: Opportunity(id: deal.id, version: deal.version, amount: Money(currencyCode: "USD", amountMinor: 0)), updateMask: ["amount"]
                ))
            })
            #expect(lowered.details.reason == "OPPORTUNITY_CLOSED")
            deal = try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(opportunity: Opportunity(id: deal.id, version: deal.version, nextStep: "ask again in spring"), updateMask: ["next_step"]))
            #expect(await statusOf { try await fixture.deals.reopenOpportunity(ReopenOpportunityRequest(id: deal.id, version: deal.version)) } == .permissionDenied)
            let manager = stack.opportunities(fixture.tenant.keys[.manager])
            #expect(await statusOf { try await manager.reopenOpportunity(ReopenOpportunityRequest(id: deal.id, version: deal.version, stageId: fixture.pipeline.stages[6].id)) } == .invalidArgument)
            deal = try await manager.reopenOpportunity(ReopenOpportunityRequest(id: deal.id, version: deal.version))
            #expect(deal.state == .open)
            #expect(deal.stageId == fixture.pipeline.stages[3].id)
            #expect(deal.probabilityPercent == 60)
            #expect(deal.closedDate.isEmpty && deal.closeNote.isEmpty && deal.lostReason.isEmpty && deal.closedTimeMs == 0)
            let reopenOpen = try #require(await failure { try await manager.reopenOpportunity(ReopenOpportunityRequest(id: deal.id, version: deal.version)) })
            #expect(reopenOpen.details.reason == "OPPORTUNITY_OPEN")
            let history = try await fixture.deals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)).entries
            #expect(history.map(\.kind) == [.created, .stageChanged, .closedLost, .reopened])
            #expect(history.last?.previousState == .lost)
        }
    }

    @Test func overridesAmountsAndOwnersAreTrackedAndTheTeamFollowsTheOwner() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Changes", amount: Money(currencyCode: "KWD", amountMinor: 1_234_567))
            // 1,234.567 KWD at 10%: 123.4567 -> 123.457 (half away from zero, 3 decimals).
            #expect(fixture.deal.weightedAmount == Money(currencyCode: "KWD", amountMinor: 123_457))
            var changes = Opportunity(id: fixture.deal.id, version: fixture.deal.version, amount: Money(currencyCode: "KWD", amountMinor: 2_000_005))
            changes.probabilityOverridePercent = 35
            changes.forecastCategoryOverride = .commit
            var deal = try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(
                opportunity: changes, updateMask: ["amount", "probability_override_percent", "forecast_category_override"]
            ))
            #expect(deal.probabilityPercent == 35)
            #expect(deal.forecastCategory == .commit)
            // 2,000.005 × 35% = 700.00175 -> 700.002
            #expect(deal.weightedAmount?.amountMinor == 700_002)
            // Clearing the override brings back the stage's probability.
            deal = try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(
                opportunity: Opportunity(id: deal.id, version: deal.version), updateMask: ["probability_override_percent"]
            ))
            #expect(deal.probabilityPercent == 10)

            // Refused: unknown currency, amounts past the bound, a CLOSED override, stage via update.
            for (amount, field) in [
                (Money(currencyCode: "XYZ", amountMinor: 1), "opportunity.amount.currency_code"),
                (Money(currencyCode: "JPY", amountMinor: 100_000_000_000_001), "opportunity.amount.amount_minor"),
                (Money(currencyCode: "USD", amountMinor: -1), "opportunity.amount.amount_minor"),
            ] {
                let error = try #require(await failure {
                    try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(opportunity: Opportunity(id: deal.id, version: deal.version, amount: amount), updateMask: ["amount"]))
                })
                #expect(error.details.fieldViolations.map(\.field) == [field], "\(amount)")
            }
            let closedOverride = try #require(await failure {
                try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(opportunity: Opportunity(id: deal.id, version: deal.version, forecastCategoryOverride: .closed), updateMask: ["forecast_category_override"]))
            })
            #expect(closedOverride.details.fieldViolations.map(\.reason) == ["NOT_ALLOWED"])
            let stageByUpdate = try #require(await failure {
                try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(opportunity: Opportunity(id: deal.id, version: deal.version, stageId: fixture.pipeline.stages[2].id), updateMask: ["stage_id"]))
            })
            #expect(stageByUpdate.details.fieldViolations.map(\.reason) == ["NOT_ALLOWED"])

            // The admin gives the deal to a rep of another team: the team follows.
            let admin = stack.admin(fixture.tenant.keys[.admin])
            let east = try await admin.createUser(CreateUserRequest(user: User(displayName: "East rep", email: "east@changes.example", role: .rep, teamId: "east")))
            let adminDeals = stack.opportunities(fixture.tenant.keys[.admin])
            #expect(await statusOf { try await fixture.deals.assignOpportunity(AssignOpportunityRequest(id: deal.id, version: deal.version, ownerUserId: east.id)) } == .permissionDenied)
            deal = try await adminDeals.assignOpportunity(AssignOpportunityRequest(id: deal.id, version: deal.version, ownerUserId: east.id))
            #expect(deal.ownerUserId == east.id)
            #expect(deal.teamId == "east")
            #expect(await statusOf { try await fixture.deals.getOpportunity(GetOpportunityRequest(id: deal.id)) } == .notFound)
            let history = try await adminDeals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)).entries
            #expect(history.map(\.kind) == [.created, .updated, .updated, .ownerChanged])
            #expect(history[1].previousAmount == Money(currencyCode: "KWD", amountMinor: 1_234_567))
            #expect(history[1].previousProbabilityPercent == 10)
            #expect(history[3].previousOwnerUserId == fixture.tenant.users[.rep]!.id)
        }
    }

    @Test func anOutOfRangeOverrideWithAHugeAmountIsRefusedNotATrap() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Huge")
            var proposed = Opportunity(name: "Huge", accountId: fixture.account.id, amount: Money(currencyCode: "JPY", amountMinor: 9_000_000_000_000_000_000), expectedCloseDate: "2027-01-01")
            proposed.probabilityOverridePercent = 1000
            let error = try #require(await failure { try await fixture.deals.createOpportunity(CreateOpportunityRequest(opportunity: proposed)) })
            #expect(Set(error.details.fieldViolations.map(\.field)) == ["opportunity.amount.amount_minor", "opportunity.probability_override_percent"])
            var changes = Opportunity(id: fixture.deal.id, version: fixture.deal.version, amount: Money(currencyCode: "USD", amountMinor: 9_000_000_000_000_000_000))
            changes.probabilityOverridePercent = Int32.max
            let update = try #require(await failure {
                try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(opportunity: changes, updateMask: ["amount", "probability_override_percent"]))
            })
            #expect(update.code == .invalidArgument)
            // The server is still there.
            #expect(try await fixture.deals.getOpportunity(GetOpportunityRequest(id: fixture.deal.id)).version == fixture.deal.version)
        }
    }

    @Test func editingADealDoesNotPickUpNewStageDefaults() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Defaults Later")
            var stages = fixture.pipeline.stages
            stages[0].defaultProbabilityPercent = 15
            _ = try await stack.pipelines(fixture.tenant.keys[.admin]).updatePipeline(UpdatePipelineRequest(
                pipeline: Pipeline(id: fixture.pipeline.id, version: fixture.pipeline.version, stages: stages), updateMask: ["stages"]
            ))
            let edited = try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(
                opportunity: Opportunity(id: fixture.deal.id, version: fixture.deal.version, nextStep: "send the deck"), updateMask: ["next_step"]
            ))
            #expect(edited.probabilityPercent == 10)
            let history = try await fixture.deals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: edited.id)).entries
            #expect(history.map(\.kind) == [.created])
            // A stage change takes the stage's current defaults.
            let moved = try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(id: edited.id, version: edited.version, stageId: stages[1].id))
            let back = try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(id: moved.id, version: moved.version, stageId: stages[0].id))
            #expect(back.probabilityPercent == 15)
        }
    }

    @Test func contactRolesNameContactsOfTheDealsAccountWithOnePrimary() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Roles")
            let contacts = stack.contacts(fixture.tenant.keys[.rep])
            let buyer = try await contacts.createContact(CreateContactRequest(contact: Contact(accountId: fixture.account.id, lastName: "Buyer", email: "buyer@roles.example")))
            let user = try await contacts.createContact(CreateContactRequest(contact: Contact(accountId: fixture.account.id, lastName: "User", email: "user@roles.example")))
            let stranger = try await contacts.createContact(CreateContactRequest(contact: Contact(lastName: "Stranger", email: "stranger@else.example")))
            let roles = [
                OpportunityContactRole(contactId: buyer.id, role: .economicBuyer, isPrimary: true),
                OpportunityContactRole(contactId: user.id, role: .user),
            ]
            let deal = try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(
                opportunity: Opportunity(id: fixture.deal.id, version: fixture.deal.version, contactRoles: roles), updateMask: ["contact_roles"]
            ))
            #expect(deal.primaryContactId == buyer.id)
            #expect(try await fixture.deals.listOpportunities(ListOpportunitiesRequest(contactId: user.id)).opportunities.map(\.id) == [deal.id])
            #expect(try await fixture.deals.listOpportunities(ListOpportunitiesRequest(contactId: stranger.id)).opportunities.isEmpty)
            let twoPrimaries = roles.map { OpportunityContactRole(contactId: $0.contactId, role: $0.role, isPrimary: true) }
            let primaries = try #require(await failure {
                try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(opportunity: Opportunity(id: deal.id, version: deal.version, contactRoles: twoPrimaries), updateMask: ["contact_roles"]))
            })
            #expect(primaries.details.fieldViolations.map(\.reason) == ["INCONSISTENT"])
            let foreign = try #require(await failure {
                try await fixture.deals.updateOpportunity(UpdateOpportunityRequest(
                    opportunity: Opportunity(id: deal.id, version: deal.version, contactRoles: [OpportunityContactRole(contactId: stranger.id, role: .user)]),
                    updateMask: ["contact_roles"]
                ))
            })
            #expect(foreign.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["opportunity.contact_roles[0].contact_id INCONSISTENT"])
        }
    }

    @Test func concurrentMovesOfOneDealSucceedOncePerVersionAndKeepTheHistoryWhole() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Races")
            let openStages = Array(fixture.pipeline.stages[0...4])
            var version = fixture.deal.version
            var winners: [String] = []
            for round in 0..<5 {
                let targets = openStages.filter { $0.id != (winners.last ?? fixture.deal.stageId) }
                let results = await withTaskGroup(of: (String, StatusCode?).self) { group in
                    for (index, stage) in targets.enumerated() {
                        let deals = stack.opportunities(fixture.tenant.keys[index % 2 == 0 ? .rep : .manager])
                        let current = version
                        group.addTask {
                            (stage.id, await statusOf { try await deals.moveOpportunityStage(MoveOpportunityStageRequest(id: fixture.deal.id, version: current, stageId: stage.id)) })
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                let succeeded = results.filter { $0.1 == nil }
                #expect(succeeded.count == 1, "round \(round): \(results)")
                #expect(results.filter { $0.1 != nil }.allSatisfy { $0.1 == .aborted }, "round \(round): \(results)")
                winners.append(succeeded[0].0)
                version += 1
            }
            let deal = try await fixture.deals.getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
            #expect(deal.version == version)
            #expect(deal.stageId == winners.last)
            let history = try await fixture.deals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)).entries
            #expect(history.map(\.version) == Array(1...6).map(Int64.init))
            #expect(history.dropFirst().map(\.stageId) == winners)
            #expect(zip(history, history.dropFirst()).allSatisfy { $0.stageId == $1.previousStageId })
        }
    }
}
