import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Every analytics figure against the same figure computed in Swift over a seeded
/// generated tenant (`AnalyticsDataset`), for each kind of caller: an admin (all), a
/// manager (its team), the manager's key narrowed to viewer, a rep (own), a viewer
/// (all) and a partner (the leads it brought, the deals from them). Money compares
/// exactly; times exactly too (the dataset fixes them), except the age of open deals,
/// which depends on the clock.
@Suite struct AnalyticsTests {
    /// A caller and what its scope lets it read, decided here from the generated
    /// values (owners, teams, creators, partners), not by the server.
    struct Caller {
        let name: String
        let key: String
        let seesDeal: @Sendable (Opportunity) -> Bool
        let seesLead: @Sendable (Lead) -> Bool
    }

    struct World {
        let stack: TestStack
        let tenant: TestTenant
        let pipeline: Pipeline
        let data: AnalyticsDataset
        let callers: [Caller]
        /// The rep of team t2.
        let otherRepID: String

        func caller(_ name: String) -> Caller { callers.first { $0.name == name }! }
    }

    /// A tenant whose rep and manager are in team t1 with every other user, a second
    /// rep in team t2, and the generated leads and deals of the three.
    static func world(_ stack: TestStack, _ name: String) async throws -> World {
        let tenant = try await stack.makeTenant(name)
        let tenantAdmin = stack.admin(tenant.bootstrapKey)
        let otherRep = try await tenantAdmin.createUser(CreateUserRequest(user: User(
            displayName: "other rep", email: "rep2@\(name.lowercased()).example", role: .rep, teamId: "t2"
        )))
        let managerViewerKey = try await tenantAdmin.issueApiKey(IssueApiKeyRequest(userId: tenant.users[.manager]!.id, role: .viewer)).secret
        let pipeline = try #require(try await stack.pipelines(tenant.keys[.admin]).listPipelines(ListPipelinesRequest()).pipelines.first)
        #expect(pipeline.stages.map(\.isClosed) == [false, false, false, false, false, true, true] && pipeline.stages[5].isWon)
        let (rep, manager, partner) = (tenant.users[.rep]!.id, tenant.users[.manager]!.id, tenant.users[.partner]!.id)
        let data = AnalyticsDataset(
            seed: 13, owners: [(rep, "t1"), (manager, "t1"), (otherRep.id, "t2")], partner: partner, pipeline: pipeline,
            leadCount: 260, dealCount: 200, activityCount: 600
        )
        try await data.write(to: stack.tenants, tenantID: tenant.tenant.id, stages: pipeline.stages)
        let team = Set(tenant.users.values.map(\.id))
        let managerTeam: @Sendable (String) -> Bool = { team.contains($0) || $0.isEmpty }
        let callers = [
            Caller(name: "admin", key: tenant.keys[.admin]!, seesDeal: { _ in true }, seesLead: { _ in true }),
            Caller(name: "manager", key: tenant.keys[.manager]!, seesDeal: { managerTeam($0.ownerUserId) }, seesLead: { managerTeam($0.ownerUserId) }),
            Caller(name: "manager's viewer key", key: managerViewerKey, seesDeal: { managerTeam($0.ownerUserId) }, seesLead: { managerTeam($0.ownerUserId) }),
            Caller(name: "rep", key: tenant.keys[.rep]!, seesDeal: { $0.ownerUserId == rep }, seesLead: { $0.ownerUserId == rep }),
            Caller(name: "viewer", key: tenant.keys[.viewer]!, seesDeal: { _ in true }, seesLead: { _ in true }),
            Caller(name: "partner", key: tenant.keys[.partner]!, seesDeal: { $0.partnerSourceId == partner }, seesLead: { $0.createdByUserId == partner }),
        ]
        return World(stack: stack, tenant: tenant, pipeline: pipeline, data: data, callers: callers, otherRepID: otherRep.id)
    }

    @Test func pipelineSummaryCountsEachCallersOpenDealsPerOwnerAndStage() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Summary")
            let request = GetPipelineSummaryRequest(filter: AnalyticsFilter(currencyCode: "USD", groupBy: .owner))
            for caller in world.callers {
                let started = AnalyticsDataset.now()
                var answer = try await AnalyticsServiceClient(stack.client(caller.key)).getPipelineSummary(request)
                let expected = world.data.pipelineSummary(caller.seesDeal, pipeline: world.pipeline, now: started)
                // Ages depend on the clock: within a minute of the test's own.
                for (index, row) in answer.stages.enumerated() where index < expected.stages.count {
                    #expect(abs(row.averageAgeInStageMs - expected.stages[index].averageAgeInStageMs) < 60_000, "\(caller.name)")
                    answer.stages[index].averageAgeInStageMs = expected.stages[index].averageAgeInStageMs
                }
                #expect(answer == expected, "\(caller.name)")
                #expect(!answer.stages.isEmpty, "\(caller.name)")
            }
        }
    }

    @Test func salesMetricsGiveWinRatesDealSizeCycleAndVelocityPerOwnerAndTeam() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Metrics")
            var filter = AnalyticsFilter(fromDate: "2026-02-01", toDate: "2026-05-31", currencyCode: "USD", groupBy: .owner)
            for caller in world.callers {
                let answer = try await AnalyticsServiceClient(stack.client(caller.key)).getSalesMetrics(GetSalesMetricsRequest(filter: filter))
                #expect(answer == world.data.salesMetrics(caller.seesDeal, caller.seesLead, filter: filter), "\(caller.name)")
                #expect(answer.total?.wonCount ?? 0 > 0 || caller.name == "partner", "\(caller.name)")
            }
            // A team filter reads the team stamped on the deals.
            filter.teamIds = ["t2"]
            filter.groupBy = .team
            let admin = world.caller("admin")
            let team = try await AnalyticsServiceClient(stack.client(admin.key)).getSalesMetrics(GetSalesMetricsRequest(filter: filter))
            #expect(team == world.data.salesMetrics(admin.seesDeal, admin.seesLead, filter: filter))
            #expect(team.rows.map { $0.group?.teamId } == ["t2"])
        }
    }

    @Test func funnelFollowsEachCallersLeadsThroughEveryStepBySource() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Funnel")
            let filter = AnalyticsFilter(currencyCode: "USD", groupBy: .source)
            for caller in world.callers {
                let answer = try await AnalyticsServiceClient(stack.client(caller.key)).getFunnel(GetFunnelRequest(filter: filter))
                #expect(answer == world.data.funnel(caller.seesDeal, caller.seesLead), "\(caller.name)")
                #expect(answer.total?.steps.first?.leadCount ?? 0 > 0, "\(caller.name)")
            }
        }
    }

    @Test func stageConversionCountsStaysAndTheFurthestStageFromTheHistory() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Stages")
            for cumulative in [false, true] {
                let request = GetStageConversionRequest(filter: AnalyticsFilter(), cumulative: cumulative)
                for caller in world.callers {
                    let client = AnalyticsServiceClient(stack.client(caller.key))
                    guard caller.name != "partner" else {
                        // The stage history is not the partner's to read.
                        #expect(await statusOf { try await client.getStageConversion(request) } == .permissionDenied)
                        continue
                    }
                    let answer = try await client.getStageConversion(request)
                    #expect(answer == world.data.stageConversion(caller.seesDeal, pipeline: world.pipeline, cumulative: cumulative), "\(caller.name) \(cumulative)")
                }
            }
        }
    }

    @Test func forecastRollsUpFiscalQuartersAgainstEachCallersTargets() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Forecast")
            let settings = stack.settings(world.tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: current.version, fiscalYearStartMonth: 4), updateMask: ["fiscal_year_start_month"]
            ))
            let (rep, manager) = (world.tenant.users[.rep]!.id, world.tenant.users[.manager]!.id)
            let otherRep = try #require(world.data.deals.map(\.deal.ownerUserId).first { $0 != rep && $0 != manager })
            let admin = AnalyticsServiceClient(stack.client(world.tenant.keys[.admin]))
            let managers = AnalyticsServiceClient(stack.client(world.tenant.keys[.manager]))
            func set(_ client: AnalyticsServiceClient, owner: String = "", team: String = "", _ month: String, _ minor: Int64, currency: String = "USD") async throws {
                _ = try await client.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(
                    ownerUserId: owner, teamId: team, month: month, amount: Money(currencyCode: currency, amountMinor: minor)
                )))
            }
            // The tenant's plan for every month, the team's for the first quarter (one
            // month in yen, which a USD forecast leaves out), two reps' own.
            var tenantPlan: [String: Int64] = [:]
            for (index, month) in ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03"].enumerated() {
                try await set(admin, month, 50_000_000 + Int64(index) * 1_000_000)
                tenantPlan[month] = 50_000_000 + Int64(index) * 1_000_000
            }
            try await set(managers, team: "t1", "2026-04", 20_000_000)
            try await set(managers, team: "t1", "2026-05", 21_000_000)
            try await set(managers, team: "t1", "2026-06", 3_000_000, currency: "JPY")
            try await set(managers, owner: rep, "2026-05", 9_000_000)
            try await set(managers, owner: rep, "2026-05", 10_000_000)
            try await set(admin, owner: otherRep, "2026-07", 7_000_000)
            let teamPlan: [String: Int64] = ["2026-04": 20_000_000, "2026-05": 21_000_000]
            let repPlan: [String: Int64] = ["2026-05": 10_000_000]

            let request = GetForecastRequest(filter: AnalyticsFilter(currencyCode: "USD"), fiscalYear: 2026, interval: .quarter)
            let plans: [String: [String: Int64]] = [
                "admin": tenantPlan, "viewer": tenantPlan, "manager": teamPlan, "manager's viewer key": teamPlan, "rep": repPlan,
            ]
            for caller in world.callers {
                let client = AnalyticsServiceClient(stack.client(caller.key))
                guard let plan = plans[caller.name] else {
                    #expect(await statusOf { try await client.getForecast(request) } == .permissionDenied, "\(caller.name)")
                    continue
                }
                let answer = try await client.getForecast(request)
                #expect(answer == world.data.forecast(caller.seesDeal, year: 2026, groupBy: .unspecified, targets: ["": plan]), "\(caller.name)")
            }
            // Per rep, each against its own target.
            var byOwner = request
            byOwner.filter?.groupBy = .owner
            let perOwner = try await admin.getForecast(byOwner)
            let adminCaller = world.caller("admin")
            #expect(perOwner == world.data.forecast(adminCaller.seesDeal, year: 2026, groupBy: .owner, targets: [rep: repPlan, otherRep: ["2026-07": 7_000_000]]))
            #expect(perOwner.periods.first { $0.group?.ownerUserId == rep && $0.label == "FY2026-Q1" }?.targetAmount?.amountMinor == 10_000_000)
        }
    }

    @Test func salesTargetsAreSetWithinReachAndReadWithinScope() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Targets")
            let otherRep = try await stack.admin(tenant.bootstrapKey).createUser(CreateUserRequest(user: User(
                displayName: "other rep", email: "rep2@targets.example", role: .rep, teamId: "t2"
            )))
            let managers = AnalyticsServiceClient(stack.client(tenant.keys[.manager]))
            let reps = AnalyticsServiceClient(stack.client(tenant.keys[.rep]))
            let admin = AnalyticsServiceClient(stack.client(tenant.keys[.admin]))
            let rep = tenant.users[.rep]!.id
            let usd = Money(currencyCode: "USD", amountMinor: 5_000_00)
            let first = try await managers.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(ownerUserId: rep, month: "2026-04", amount: usd)))
            #expect(first.version == 1 && first.createdByUserId == tenant.users[.manager]!.id)
            // The same key again changes the amount; a stale version is refused.
            let second = try await managers.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(
                version: 1, ownerUserId: rep, month: "2026-04", amount: Money(currencyCode: "USD", amountMinor: 6_000_00)
            )))
            #expect(second.id == first.id && second.version == 2 && second.amount?.amountMinor == 6_000_00)
            #expect(await statusOf { try await managers.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(version: 1, ownerUserId: rep, month: "2026-04", amount: usd))) } == .aborted)
            // Reps are given targets; managers reach their team only; the tenant's is the admins'.
            #expect(await statusOf { try await reps.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(ownerUserId: rep, month: "2026-05", amount: usd))) } == .permissionDenied)
            let outside = try #require(await failure {
                try await managers.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(ownerUserId: otherRep.id, month: "2026-05", amount: usd)))
            })
            #expect(outside.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["target.owner_user_id NOT_ALLOWED"])
            let otherTeam = try #require(await failure {
                try await managers.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(teamId: "t2", month: "2026-05", amount: usd)))
            })
            #expect(otherTeam.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["target.team_id NOT_ALLOWED"])
            let invalid = try #require(await failure {
                try await admin.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(ownerUserId: rep, teamId: "t1", month: "2026-13")))
            })
            #expect(invalid.details.fieldViolations.map { "\($0.field) \($0.reason)" } == [
                "target.team_id INCONSISTENT", "target.month INVALID_FORMAT", "target.amount REQUIRED",
            ])
            _ = try await managers.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(teamId: "t1", month: "2026-04", amount: usd)))
            _ = try await admin.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(ownerUserId: otherRep.id, month: "2026-04", amount: usd)))
            _ = try await admin.setSalesTarget(SetSalesTargetRequest(target: SalesTarget(month: "2026-04", amount: usd)))
            // A rep reads its own; a manager its team's members' and the shared ones; an admin all.
            func keys(_ client: AnalyticsServiceClient) async throws -> Set<String> {
                Set(try await client.listSalesTargets(ListSalesTargetsRequest()).targets.map { "\($0.ownerUserId)/\($0.teamId)" })
            }
            #expect(try await keys(reps) == ["\(rep)/"])
            #expect(try await keys(managers) == ["\(rep)/", "/t1", "/"])
            #expect(try await keys(admin) == ["\(rep)/", "/t1", "\(otherRep.id)/", "/"])
            #expect(try await admin.listSalesTargets(ListSalesTargetsRequest(teamIds: ["t1"], fromMonth: "2026-04", toMonth: "2026-04")).targets.count == 1)
        }
    }

    @Test func activityKpisCountEachCallersActivitiesAndConsultationsPerRepAndWeek() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Activities")
            let request = GetActivityKpisRequest(filter: AnalyticsFilter(fromDate: "2026-01-05", toDate: "2026-03-29"), interval: .week)
            for caller in world.callers {
                let client = AnalyticsServiceClient(stack.client(caller.key))
                guard caller.name != "partner" else {
                    #expect(await statusOf { try await client.getActivityKpis(request) } == .permissionDenied)
                    continue
                }
                let answer = try await client.getActivityKpis(request)
                // Activities are scoped by owner, as deals are (partners are refused above).
                let sees: @Sendable (String) -> Bool = { owner in caller.seesDeal(Opportunity(ownerUserId: owner)) }
                #expect(answer == world.data.activityKpis(sees, from: "2026-01-05", to: "2026-03-29"), "\(caller.name)")
                #expect(answer.total?.callCount ?? 0 > 0 && answer.total?.consultationCount ?? 0 > 0, "\(caller.name)")
            }
            let days = try #require(await failure {
                try await AnalyticsServiceClient(stack.client(world.tenant.keys[.admin])).getActivityKpis(GetActivityKpisRequest(
                    filter: AnalyticsFilter(pipelineId: "pipe_x", fromDate: "2026-01-01", toDate: "2026-12-31"), interval: .day
                ))
            })
            #expect(days.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["filter.to_date OUT_OF_RANGE", "filter NOT_ALLOWED"])
        }
    }

    @Test func badFiltersAreRefusedWithEveryViolation() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Filters")
            let client = AnalyticsServiceClient(stack.client(tenant.keys[.admin]))
            let reversed = try #require(await failure {
                try await client.getSalesMetrics(GetSalesMetricsRequest(filter: AnalyticsFilter(
                    ownerUserIds: ["not an id"], fromDate: "2026-05-01", toDate: "2026-04-01", currencyCode: "XYZ"
                )))
            })
            #expect(reversed.code == .invalidArgument)
            #expect(reversed.details.fieldViolations.map { "\($0.field) \($0.reason)" } == [
                "filter.owner_user_ids[0] INVALID_FORMAT", "filter.to_date OUT_OF_RANGE", "filter.currency_code UNKNOWN_VALUE",
            ])
            let team = try #require(await failure { try await client.getFunnel(GetFunnelRequest(filter: AnalyticsFilter(groupBy: .team))) })
            #expect(team.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["filter.group_by NOT_ALLOWED"])
            let months = try #require(await failure { try await client.getFunnel(GetFunnelRequest(filter: AnalyticsFilter(groupBy: .month))) })
            #expect(months.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["filter.from_date REQUIRED", "filter.to_date REQUIRED"])
            // Marketing reads the funnel only.
            let marketing = AnalyticsServiceClient(stack.client(tenant.keys[.marketing]))
            #expect(await statusOf { try await marketing.getFunnel(GetFunnelRequest()) } == nil)
            #expect(await statusOf { try await marketing.getSalesMetrics(GetSalesMetricsRequest()) } == .permissionDenied)
        }
    }
}
