import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Pipelines over the real server: the default every tenant starts with, the written
/// stage rules, one default at a time, and stages retired (never deleted) with their
/// open deals moved by a remap.
@Suite struct PipelineTests {
    /// The default pipeline as the issue specifies it: name, probability, category, closed, won.
    static let defaultStages: [(String, Int32, ForecastCategory, Bool, Bool)] = [
        ("Initial consultation", 10, .pipeline, false, false),
        ("Needs analysis", 20, .pipeline, false, false),
        ("Proposal submitted", 40, .bestCase, false, false),
        ("Quote presented", 60, .bestCase, false, false),
        ("Negotiation", 80, .commit, false, false),
        ("Closed won", 100, .closed, true, true),
        ("Closed lost", 0, .omitted, true, false),
    ]

    static func stage(_ name: String, _ probability: Int32, _ category: ForecastCategory, closed: Bool = false, won: Bool = false) -> PipelineStage {
        PipelineStage(name: name, defaultProbabilityPercent: probability, forecastCategory: category, isClosed: closed, isWon: won)
    }

    static let minimalStages = [
        stage("Open", 30, .pipeline), stage("Won", 100, .closed, closed: true, won: true), stage("Lost", 0, .omitted, closed: true),
    ]

    @Test func aNewTenantHasTheDefaultPipelineWhichEveryMemberAndPartnersRead() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Defaults")
            for role in [Role.admin, .manager, .rep, .marketing, .insideSales, .partner, .viewer] {
                let pipelines = try await stack.pipelines(tenant.keys[role]).listPipelines(ListPipelinesRequest()).pipelines
                #expect(pipelines.count == 1, "\(role)")
            }
            let pipeline = try #require(try await stack.pipelines(tenant.keys[.partner]).listPipelines(ListPipelinesRequest()).pipelines.first)
            #expect(pipeline.isDefault)
            #expect(pipeline.stages.count == Self.defaultStages.count)
            for (stage, expected) in zip(pipeline.stages, Self.defaultStages) {
                #expect(stage.name == expected.0)
                #expect(stage.defaultProbabilityPercent == expected.1)
                #expect(stage.forecastCategory == expected.2)
                #expect(stage.isClosed == expected.3)
                #expect(stage.isWon == expected.4)
                #expect(stage.id.hasPrefix("stg_"))
            }
        }
    }

    @Test func everyStageRuleIsCheckedAndReportedPerField() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Rules")
            let pipelines = stack.pipelines(tenant.keys[.admin])
            let broken = [
                Self.stage("Open", 30, .closed),  // an open stage is never CLOSED
                Self.stage("open", 30, .pipeline),  // same name, other case
                Self.stage("Won", 90, .commit, closed: true, won: true),  // won: 100% and CLOSED
                Self.stage("Odd", 10, .pipeline, won: true),  // won but not closed
            ]
            let error = try #require(await failure { try await pipelines.createPipeline(CreatePipelineRequest(pipeline: Pipeline(name: "Broken", stages: broken))) })
            #expect(error.code == .invalidArgument)
            let violations = Set(error.details.fieldViolations.map { "\($0.field) \($0.reason)" })
            #expect(violations == [
                "pipeline.stages[0].forecast_category INCONSISTENT",
                "pipeline.stages[1].name DUPLICATE",
                "pipeline.stages[2].default_probability_percent INCONSISTENT",
                "pipeline.stages[2].forecast_category INCONSISTENT",
                "pipeline.stages[3].is_won INCONSISTENT",
                "pipeline.stages REQUIRED",  // no lost stage
            ])
            let lostAt50 = [Self.stage("Open", 30, .pipeline), Self.stage("Won", 100, .closed, closed: true, won: true), Self.stage("Lost", 50, .omitted, closed: true)]
            let lost = try #require(await failure { try await pipelines.createPipeline(CreatePipelineRequest(pipeline: Pipeline(name: "Lost", stages: lostAt50))) })
            #expect(lost.details.fieldViolations.map(\.field) == ["pipeline.stages[2].default_probability_percent"])
            var withID = Self.minimalStages
            withID[0].id = "stg_made_up"
            let ids = try #require(await failure { try await pipelines.createPipeline(CreatePipelineRequest(pipeline: Pipeline(name: "Ids", stages: withID))) })
            #expect(ids.details.fieldViolations.map(\.reason) == ["NOT_ALLOWED"])
            #expect(try await pipelines.listPipelines(ListPipelinesRequest()).pipelines.count == 1)
        }
    }

    @Test func aNewDefaultTakesTheDefaultFromTheOldOneAndTheDefaultCannotBeDroppedOrArchived() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Default")
            let pipelines = stack.pipelines(tenant.keys[.admin])
            let original = try #require(try await pipelines.listPipelines(ListPipelinesRequest()).pipelines.first)
            let second = try await pipelines.createPipeline(CreatePipelineRequest(pipeline: Pipeline(name: "Renewals", stages: Self.minimalStages, isDefault: true)))
            #expect(second.isDefault)
            let all = try await pipelines.listPipelines(ListPipelinesRequest()).pipelines
            #expect(all.filter(\.isDefault).map(\.id) == [second.id])
            let old = try await pipelines.getPipeline(GetPipelineRequest(id: original.id))
            #expect(!old.isDefault)
            #expect(old.version == original.version + 1)

            let clearing = try #require(await failure {
                try await pipelines.updatePipeline(UpdatePipelineRequest(pipeline: Pipeline(id: second.id, version: second.version, isDefault: false), updateMask: ["is_default"]))
            })
            #expect(clearing.code == .failedPrecondition)
            #expect(clearing.details.reason == "DEFAULT_REQUIRED")
            let archiving = try #require(await failure { try await pipelines.archivePipeline(ArchivePipelineRequest(id: second.id, version: second.version)) })
            #expect(archiving.details.reason == "DEFAULT_PIPELINE")

            // Back to the first one, through an update this time.
            let restored = try await pipelines.updatePipeline(UpdatePipelineRequest(pipeline: Pipeline(id: old.id, version: old.version, isDefault: true), updateMask: ["is_default"]))
            #expect(restored.isDefault)
            #expect(try await pipelines.listPipelines(ListPipelinesRequest()).pipelines.filter(\.isDefault).map(\.id) == [old.id])
            let archived = try await pipelines.archivePipeline(ArchivePipelineRequest(id: second.id, version: second.version + 1))
            #expect(archived.archived)
            #expect(try await pipelines.listPipelines(ListPipelinesRequest()).pipelines.map(\.id) == [old.id])
        }
    }

    @Test func removingAStageWithOpenDealsTakesARemapThatMovesThemAndTheStageIsRetired() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Remap")
            let pipelines = stack.pipelines(tenant.keys[.admin])
            let deals = stack.opportunities(tenant.keys[.rep])
            let pipeline = try #require(try await pipelines.listPipelines(ListPipelinesRequest()).pipelines.first)
            let account = try await stack.accounts(tenant.keys[.rep]).createAccount(CreateAccountRequest(account: Account(name: "Remap Co")))
            let needsAnalysis = pipeline.stages[1]
            let deal = try await deals.createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
                name: "Deal", accountId: account.id, amount: Money(currencyCode: "JPY", amountMinor: 1_000_000),
                expectedCloseDate: "2027-03-31", stageId: needsAnalysis.id
            )))
            #expect(deal.stageId == needsAnalysis.id)
            #expect(deal.probabilityPercent == 20)

            var without = pipeline.stages
            without.remove(at: 1)
            let refused = try #require(await failure {
                try await pipelines.updatePipeline(UpdatePipelineRequest(pipeline: Pipeline(id: pipeline.id, version: pipeline.version, stages: without), updateMask: ["stages"]))
            })
            #expect(refused.code == .failedPrecondition)
            #expect(refused.details.reason == "STAGE_IN_USE")
            let badTarget = try #require(await failure {
                try await pipelines.updatePipeline(UpdatePipelineRequest(
                    pipeline: Pipeline(id: pipeline.id, version: pipeline.version, stages: without), updateMask: ["stages"],
                    stageRemap: [needsAnalysis.id: pipeline.stages[5].id]  // a closed stage
                ))
            })
            #expect(badTarget.details.fieldViolations.map(\.field) == ["stage_remap[\(needsAnalysis.id)]"])
            #expect(try await deals.getOpportunity(GetOpportunityRequest(id: deal.id)).version == deal.version)

            let proposal = pipeline.stages[2]
            let updated = try await pipelines.updatePipeline(UpdatePipelineRequest(
                pipeline: Pipeline(id: pipeline.id, version: pipeline.version, stages: without), updateMask: ["stages"],
                stageRemap: [needsAnalysis.id: proposal.id]
            ))
            // History refers to the removed stage: it stays, retired, after the live ones.
            #expect(updated.stages.map(\.id) == without.map(\.id) + [needsAnalysis.id])
            #expect(updated.stages.last?.retired == true)
            #expect(updated.stages.dropLast().allSatisfy { !$0.retired })

            let moved = try await deals.getOpportunity(GetOpportunityRequest(id: deal.id))
            #expect(moved.stageId == proposal.id)
            #expect(moved.probabilityPercent == 40)
            #expect(moved.forecastCategory == .bestCase)
            let history = try await deals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)).entries
            #expect(history.map(\.kind) == [.created, .stageChanged])
            #expect(history.last?.previousStageId == needsAnalysis.id)
            #expect(history.last?.previousStageName == "Needs analysis")
            #expect(history.last?.changedByUserId == tenant.users[.admin]!.id)

            // No deal can enter a retired stage.
            let retired = try #require(await failure {
                try await deals.moveOpportunityStage(MoveOpportunityStageRequest(id: deal.id, version: moved.version, stageId: needsAnalysis.id))
            })
            #expect(retired.code == .invalidArgument)
            #expect(retired.details.fieldViolations.map(\.reason) == ["RETIRED"])

            // A stage nothing refers to is dropped, not retired.
            var unused = updated.stages.filter { !$0.retired }
            unused.remove(at: 3)  // "Negotiation": no deal ever there
            let dropped = try await pipelines.updatePipeline(UpdatePipelineRequest(pipeline: Pipeline(id: pipeline.id, version: updated.version, stages: unused), updateMask: ["stages"]))
            #expect(dropped.stages.map(\.name) == unused.map(\.name) + ["Needs analysis"])
        }
    }

    @Test func aStagesKindCannotChangeWhileDealsAreInIt() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Kinds")
            let pipelines = stack.pipelines(tenant.keys[.admin])
            let pipeline = try #require(try await pipelines.listPipelines(ListPipelinesRequest()).pipelines.first)
            let account = try await stack.accounts(tenant.keys[.rep]).createAccount(CreateAccountRequest(account: Account(name: "Kind Co")))
            _ = try await stack.opportunities(tenant.keys[.rep]).createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
                name: "Deal", accountId: account.id, amount: Money(currencyCode: "USD", amountMinor: 100), expectedCloseDate: "2027-01-31"
            )))
            var stages = pipeline.stages
            stages[0].isClosed = true
            stages[0].defaultProbabilityPercent = 0
            stages[0].forecastCategory = .omitted
            let error = try #require(await failure {
                try await pipelines.updatePipeline(UpdatePipelineRequest(pipeline: Pipeline(id: pipeline.id, version: pipeline.version, stages: stages), updateMask: ["stages"]))
            })
            #expect(error.details.reason == "STAGE_IN_USE")
            // Renaming and re-describing it is fine.
            stages = pipeline.stages
            stages[0].name = "First meeting"
            stages[0].description = "A meeting date is agreed"
            let renamed = try await pipelines.updatePipeline(UpdatePipelineRequest(pipeline: Pipeline(id: pipeline.id, version: pipeline.version, stages: stages), updateMask: ["stages"]))
            #expect(renamed.stages[0].name == "First meeting")
            #expect(renamed.stages[0].id == pipeline.stages[0].id)
        }
    }
}
