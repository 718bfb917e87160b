import Foundation
import GRDB
import SFAClient
import SFAServices
import SFAStorage
import SFAStubs
import Testing

/// Stalled deals, lost reasons, daily-report compliance, speed to lead and quote KPIs
/// against the same figures computed in Swift over the generated tenant
/// (`AnalyticsTests.world`), for every kind of caller: admin, manager, the manager's
/// viewer key, rep, viewer and partner (refused where the table refuses it). Money
/// compares exactly, times exactly except a stalled deal's whole days of inactivity,
/// which may differ by one as the clock moves on during the test.
@Suite struct AnalyticsOperationsTests {
    @Test func stalledDealsShowEachCallersInactivePastDueUnplannedAndPushedDeals() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Stalled")
            // A stage that rots sooner than the tenant's 14 days.
            let pipelines = stack.pipelines(world.tenant.keys[.admin])
            var pipeline = world.pipeline
            pipeline.stages[1].rottingDays = 5
            pipeline = try await pipelines.updatePipeline(UpdatePipelineRequest(pipeline: pipeline, updateMask: ["stages"]))
            let request = GetStalledDealsRequest(filter: AnalyticsFilter(currencyCode: "USD", groupBy: .owner))
            for caller in world.callers {
                let started = AnalyticsDataset.now()
                var answer = try await AnalyticsServiceClient(stack.client(caller.key)).getStalledDeals(request)
                let expected = world.data.stalledDeals(caller.seesDeal, pipeline: pipeline, tenantDays: 14, now: started, today: Self.today())
                for (index, deal) in answer.deals.enumerated() where index < expected.deals.count {
                    #expect(abs(deal.inactiveDays - expected.deals[index].inactiveDays) <= 1, "\(caller.name)")
                    answer.deals[index].inactiveDays = expected.deals[index].inactiveDays
                }
                #expect(answer == expected, "\(caller.name)")
                #expect(answer.total?.stalledCount ?? 0 > 0 || caller.name == "partner", "\(caller.name)")
            }
            // A limit the caller names applies to every stage.
            let admin = world.caller("admin")
            let named = try await AnalyticsServiceClient(stack.client(admin.key)).getStalledDeals(
                GetStalledDealsRequest(filter: AnalyticsFilter(currencyCode: "USD"), inactiveDays: 20, minimumCloseDatePushes: 3, dealLimit: 5)
            )
            let now = AnalyticsDataset.now()
            let open = world.data.liveDeals(admin.seesDeal).map(\.deal).filter { $0.state == .open }
            #expect(named.total?.inactiveCount == Int64(open.filter { max($0.lastActivityTimeMs, $0.createTimeMs) < now - 20 * AnalyticsDataset.day }.count))
            #expect(named.total?.closeDatePushedCount == Int64(open.filter { $0.closeDatePushCount >= 3 }.count))
            #expect(named.deals.count == 5 && named.rows.isEmpty)
        }
    }

    @Test func aCloseDateMovedLaterCountsAsAPushAndAnEarlierOneDoesNot() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Pushes")
            let key = tenant.keys[.rep]
            let account = try await stack.accounts(key).createAccount(CreateAccountRequest(account: Account(name: "Push Co")))
            let deals = stack.opportunities(key)
            var deal = try await deals.createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
                name: "Slipping", accountId: account.id, amount: Money(currencyCode: "USD", amountMinor: 100_000), expectedCloseDate: "2027-01-31"
            )))
            for date in ["2027-02-28", "2027-02-15", "2027-03-31"] {
                deal.expectedCloseDate = date
                deal = try await deals.updateOpportunity(UpdateOpportunityRequest(opportunity: deal, updateMask: ["expected_close_date"]))
            }
            let stored = try await deals.getOpportunity(GetOpportunityRequest(id: deal.id))
            #expect(stored.closeDatePushCount == 2)
            // The update's reply shows the count it stored, not the one before it.
            #expect(deal.closeDatePushCount == 2 && deal == stored)
            let analytics = AnalyticsServiceClient(stack.client(key))
            let twice = try await analytics.getStalledDeals(GetStalledDealsRequest())
            #expect(twice.deals.map(\.opportunityId) == [deal.id])
            #expect(twice.deals.first?.reasons.contains(.closeDatePushed) == true && twice.deals.first?.closeDatePushCount == 2)
            #expect(twice.deals.first?.reasons.contains(.pastDue) == false)
            let thrice = try await analytics.getStalledDeals(GetStalledDealsRequest(minimumCloseDatePushes: 3))
            #expect(thrice.total?.closeDatePushedCount == 0)
        }
    }

    @Test func aLeadsFirstTouchIsItsFirstDoneActivityAndLeavesWithIt() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Touch")
            let key = tenant.keys[.rep]
            let leads = stack.leads(key)
            let lead = try #require(try await leads.createLead(CreateLeadRequest(lead: Lead(lastName: "Tanaka", email: "tanaka@touch.example", companyName: "Touch KK", source: .website))).lead)
            let activities = stack.activities(key)
            let planned = try #require(try await activities.createActivity(CreateActivityRequest(activity: Activity(
                kind: .call, state: .planned, subject: "First call", startTimeMs: lead.createTimeMs + 3_600_000, leadId: lead.id,
                endTimeMs: lead.createTimeMs + 4_200_000
            ))).activity)
            #expect(try await leads.getLead(GetLeadRequest(id: lead.id)).firstTouchTimeMs == 0)
            let done = try #require(try await activities.completeActivity(CompleteActivityRequest(
                id: planned.id, version: planned.version, callResult: .connected
            )).activity)
            #expect(try await leads.getLead(GetLeadRequest(id: lead.id)).firstTouchTimeMs == done.activityTimeMs)
            let speed = try await AnalyticsServiceClient(stack.client(key)).getSpeedToLead(GetSpeedToLeadRequest())
            #expect(speed.total?.contactedCount == 1 && speed.total?.averageResponseMs == done.activityTimeMs - lead.createTimeMs)
            // A partner reads the leads it created (get and list: it changes none), never
            // when they were first touched.
            let partnerLeads = stack.leads(tenant.keys[.partner])
            let referred = try #require(try await partnerLeads.createLead(CreateLeadRequest(lead: Lead(
                lastName: "Sato", email: "sato@touch.example", companyName: "Referral KK", source: .partner
            ))).lead)
            let adminActivities = stack.activities(tenant.keys[.admin])
            let touched = try #require(try await adminActivities.createActivity(CreateActivityRequest(activity: Activity(
                kind: .call, state: .planned, subject: "Referral call", startTimeMs: referred.createTimeMs + 60_000, leadId: referred.id,
                endTimeMs: referred.createTimeMs + 120_000
            ))).activity)
            _ = try await adminActivities.completeActivity(CompleteActivityRequest(id: touched.id, version: touched.version, callResult: .connected))
            #expect(try await stack.leads(tenant.keys[.admin]).getLead(GetLeadRequest(id: referred.id)).firstTouchTimeMs > 0)
            let read = try await partnerLeads.getLead(GetLeadRequest(id: referred.id))
            #expect(read.firstTouchTimeMs == 0)
            #expect(try await partnerLeads.listLeads(ListLeadsRequest()).leads.map(\.firstTouchTimeMs) == [0])
            // Nor through the change feed, which reads the records itself.
            let fed = try await stack.changes(tenant.keys[.partner]).listChanges(ListChangesRequest(pageSize: 1_000))
            let fedLeads = fed.changes.compactMap { change -> Lead? in
                if case .lead(let lead) = change.record { return lead } else { return nil }
            }
            #expect(!fedLeads.isEmpty && fedLeads.allSatisfy { $0.firstTouchTimeMs == 0 })
            _ = try await activities.archiveActivity(ArchiveActivityRequest(id: done.id, version: done.version))
            #expect(try await leads.getLead(GetLeadRequest(id: lead.id)).firstTouchTimeMs == 0)
        }
    }

    @Test func aDealsStageStaysAreWrittenByItsMovesCloseAndReopenAndFollowItsOwnerAndArchiving() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Stays")
            let key = tenant.keys[.admin]
            let stages = try #require(try await stack.pipelines(key).listPipelines(ListPipelinesRequest()).pipelines.first).stages.map(\.id)
            let account = try await stack.accounts(key).createAccount(CreateAccountRequest(account: Account(name: "Stay Co")))
            let deals = stack.opportunities(key)
            var deal = try await deals.createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
                name: "Moving", accountId: account.id, amount: Money(currencyCode: "USD", amountMinor: 100_000), expectedCloseDate: "2027-01-31"
            )))
            #expect(deal.stageId == stages[0])
            for stage in stages[1...2] {
                deal = try await deals.moveOpportunityStage(MoveOpportunityStageRequest(id: deal.id, version: deal.version, stageId: stage))
            }
            func stays() async throws -> [String] {
                try await stack.tenants.read(tenant.tenant.id) { db in
                    try String.fetchAll(db, sql: "SELECT stage_id || '>' || next_stage_id || ' ' || owner_user_id || ' ' || archived FROM stage_stay WHERE opportunity_id = ? ORDER BY version", arguments: [deal.id])
                }
            }
            let admin = tenant.users[.admin]!.id
            #expect(try await stays() == ["\(stages[0])>\(stages[1]) \(admin) 0", "\(stages[1])>\(stages[2]) \(admin) 0"])
            // Winning ends the stay in stage 3; reopening ends the one in the won stage.
            deal = try await deals.closeOpportunity(CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: .won, closedDate: "2026-11-02"))
            deal = try await deals.reopenOpportunity(ReopenOpportunityRequest(id: deal.id, version: deal.version, stageId: stages[1]))
            let moved = [(stages[0], stages[1]), (stages[1], stages[2]), (stages[2], stages[5]), (stages[5], stages[1])]
            #expect(try await stays() == moved.map { "\($0.0)>\($0.1) \(admin) 0" })
            // A new owner takes the deal's stays with it; archiving hides them.
            let manager = tenant.users[.manager]!.id
            deal = try await deals.assignOpportunity(AssignOpportunityRequest(id: deal.id, version: deal.version, ownerUserId: manager))
            #expect(try await stays() == moved.map { "\($0.0)>\($0.1) \(manager) 0" })
            _ = try await deals.archiveOpportunity(ArchiveOpportunityRequest(id: deal.id, version: deal.version))
            #expect(try await stays() == moved.map { "\($0.0)>\($0.1) \(manager) 1" })
        }
    }

    @Test func lostReasonsCountAndSumEachCallersLostDealsPerReason() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Lost")
            let settings = stack.settings(world.tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: current.version, lostReasons: [LostReason(key: "price", label: "Too expensive"), LostReason(key: "timing", label: "Not now", retired: true)]),
                updateMask: ["lost_reasons"]
            ))
            let labels = ["price": "Too expensive", "timing": "Not now"]
            let request = GetLostReasonsRequest(filter: AnalyticsFilter(fromDate: "2026-01-01", toDate: "2026-12-31", currencyCode: "USD", groupBy: .owner))
            for caller in world.callers {
                let answer = try await AnalyticsServiceClient(stack.client(caller.key)).getLostReasons(request)
                #expect(answer == world.data.lostReasons(caller.seesDeal, from: "2026-01-01", to: "2026-12-31", labels: labels), "\(caller.name)")
                #expect(answer.lostCount > 0 || caller.name == "partner", "\(caller.name)")
            }
        }
    }

    @Test func dailyReportComplianceCountsEachRepsReportsAgainstTheWorkingDays() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Reports")
            let settings = stack.settings(world.tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            let holidays = ["2026-01-01", "2026-01-02", "2026-01-12", "2026-02-11"]
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: current.version, holidays: holidays, dailyReportGraceHours: 6),
                updateMask: ["holidays", "daily_report_grace_hours"]
            ))
            // Reps and inside sellers owe reports; the manager's own are not counted.
            let (rep, insideSales) = (world.tenant.users[.rep]!.id, world.tenant.users[.insideSales]!.id)
            let created = try await Self.backdateReporters(stack, world)
            let request = GetDailyReportComplianceRequest(filter: AnalyticsFilter(fromDate: "2026-01-01", toDate: "2026-02-28"))
            // Whose reports each caller reads under the tenant's visibility (team t1 is
            // the rep, the inside seller and every other user but the second rep, of t2):
            // admins every one; managers their team whatever the setting; a viewer its
            // team under TEAM (the default) and none under OWN (it owes none); a rep its own.
            let reach: [String: (team: [String], own: [String])] = [
                "admin": ([rep, insideSales, world.otherRepID], [rep, insideSales, world.otherRepID]),
                "manager": ([rep, insideSales], [rep, insideSales]),
                "manager's viewer key": ([rep, insideSales], [rep, insideSales]),
                "rep": ([rep], [rep]),
                "viewer": ([rep, insideSales], []),
            ]
            for own in [false, true] {
                if own {
                    let version = try await settings.getTenantSettings(GetTenantSettingsRequest()).version
                    _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                        settings: TenantSettings(version: version, dailyReportVisibility: .own), updateMask: ["daily_report_visibility"]
                    ))
                }
                for caller in world.callers {
                    let client = AnalyticsServiceClient(stack.client(caller.key))
                    guard let reached = reach[caller.name].map({ own ? $0.own : $0.team }) else {
                        #expect(await statusOf { try await client.getDailyReportCompliance(request) } == .permissionDenied)
                        continue
                    }
                    let answer = try await client.getDailyReportCompliance(request)
                    let owing = Dictionary(uniqueKeysWithValues: reached.map { ($0, created[$0]!) })
                    let expected = world.data.dailyReportCompliance(reporters: owing, from: "2026-01-01", to: "2026-02-28", holidays: Set(holidays), graceHours: 6)
                    #expect(answer == expected, "\(caller.name), own: \(own)")
                    #expect(reached.isEmpty || answer.total?.onTimeCount ?? 0 > 0 && answer.total?.missingCount ?? 0 > 0, "\(caller.name)")
                }
            }
            let latest = try await settings.getTenantSettings(GetTenantSettingsRequest()).version
            let grace = try #require(await failure {
                try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                    settings: TenantSettings(version: latest, dailyReportGraceHours: 169), updateMask: ["daily_report_grace_hours"]
                ))
            })
            #expect(grace.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["settings.daily_report_grace_hours OUT_OF_RANGE"])
        }
    }

    @Test func dailyReportDeadlinesFollowTheTenantsTimeZoneAcrossADaylightSavingChange() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "ReportsZone")
            let created = try await Self.backdateReporters(stack, world)
            // New York: five hours behind UTC in winter, four from 2026-03-08 on; the
            // period runs over the change.
            let settings = stack.settings(world.tenant.keys[.admin])
            let version = try await settings.getTenantSettings(GetTenantSettingsRequest()).version
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: version, timeZone: "America/New_York", dailyReportGraceHours: 2), updateMask: ["time_zone", "daily_report_grace_hours"]
            ))
            let answer = try await AnalyticsServiceClient(stack.client(world.tenant.keys[.admin])).getDailyReportCompliance(
                GetDailyReportComplianceRequest(filter: AnalyticsFilter(fromDate: "2026-01-01", toDate: "2026-03-31"))
            )
            func expected(_ zone: String) -> GetDailyReportComplianceResponse {
                world.data.dailyReportCompliance(reporters: created, from: "2026-01-01", to: "2026-03-31", holidays: [], graceHours: 2, timeZone: zone)
            }
            #expect(answer == expected("America/New_York"))
            #expect(answer.total?.onTimeCount != expected("UTC").total?.onTimeCount)
        }
    }

    @Test func speedToLeadTimesEachCallersLeadsToTheirFirstTouchBySource() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Speed")
            let request = GetSpeedToLeadRequest(filter: AnalyticsFilter(groupBy: .source))
            for caller in world.callers {
                let client = AnalyticsServiceClient(stack.client(caller.key))
                guard caller.name != "partner" else {
                    #expect(await statusOf { try await client.getSpeedToLead(request) } == .permissionDenied)
                    continue
                }
                let answer = try await client.getSpeedToLead(request)
                #expect(answer == world.data.speedToLead(caller.seesLead), "\(caller.name)")
                #expect(answer.total?.contactedCount ?? 0 > 0, "\(caller.name)")
            }
        }
    }

    @Test func quoteKpisGiveDiscountsApprovalTurnaroundAndQuoteToWonPerOwner() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Quotes")
            let request = GetQuoteKpisRequest(filter: AnalyticsFilter(currencyCode: "USD", groupBy: .owner))
            for caller in world.callers {
                let client = AnalyticsServiceClient(stack.client(caller.key))
                guard caller.name != "partner" else {
                    #expect(await statusOf { try await client.getQuoteKpis(request) } == .permissionDenied)
                    continue
                }
                let answer = try await client.getQuoteKpis(request)
                let seesOwner: (String) -> Bool = { caller.seesDeal(Opportunity(ownerUserId: $0)) }
                #expect(answer == world.data.quoteKpis(seesOwner: seesOwner, seesDeal: caller.seesDeal), "\(caller.name)")
                #expect(answer.total?.approvalDecidedCount ?? 0 > 0 && answer.total?.wonDealCount ?? 0 > 0, "\(caller.name)")
            }
        }
    }

    @Test func marketingReadsOnlySpeedToLeadAndInsideSalesItsOwnFiguresAndEveryLeadsSpeed() async throws {
        try await withStack { stack in
            let world = try await Self.world(stack, "Roles")
            let (marketing, insideSales) = (world.tenant.keys[.marketing]!, world.tenant.keys[.insideSales]!)
            let seller = world.tenant.users[.insideSales]!.id
            let ownDeal: (Opportunity) -> Bool = { $0.ownerUserId == seller }
            // Speed to lead is the funnel's first step: both read it over every lead.
            for key in [marketing, insideSales] {
                let speed = try await AnalyticsServiceClient(stack.client(key)).getSpeedToLead(GetSpeedToLeadRequest(filter: AnalyticsFilter(groupBy: .source)))
                #expect(speed == world.data.speedToLead { _ in true })
            }
            // Marketing reads no deal, report or quote figure.
            let refused = AnalyticsServiceClient(stack.client(marketing))
            let period = AnalyticsFilter(fromDate: "2026-01-01", toDate: "2026-02-28", currencyCode: "USD")
            #expect(await statusOf { try await refused.getStalledDeals(GetStalledDealsRequest()) } == .permissionDenied)
            #expect(await statusOf { try await refused.getLostReasons(GetLostReasonsRequest(filter: period)) } == .permissionDenied)
            #expect(await statusOf { try await refused.getDailyReportCompliance(GetDailyReportComplianceRequest(filter: period)) } == .permissionDenied)
            #expect(await statusOf { try await refused.getQuoteKpis(GetQuoteKpisRequest()) } == .permissionDenied)
            // An inside seller reads its own (it owns no generated deal or quote; it owes
            // reports from its creation, today, so none in the period).
            let own = AnalyticsServiceClient(stack.client(insideSales))
            let started = AnalyticsDataset.now()
            #expect(try await own.getStalledDeals(GetStalledDealsRequest(filter: AnalyticsFilter(currencyCode: "USD")))
                == world.data.stalledDeals(ownDeal, pipeline: world.pipeline, tenantDays: 14, now: started, today: Self.today()))
            let labels = Dictionary(uniqueKeysWithValues: try await stack.settings(world.tenant.keys[.admin]).getTenantSettings(GetTenantSettingsRequest()).lostReasons.map { ($0.key, $0.label) })
            #expect(try await own.getLostReasons(GetLostReasonsRequest(filter: period)) == world.data.lostReasons(ownDeal, from: "2026-01-01", to: "2026-02-28", labels: labels))
            #expect(try await own.getDailyReportCompliance(GetDailyReportComplianceRequest(filter: period))
                == world.data.dailyReportCompliance(reporters: [seller: Self.today()], from: "2026-01-01", to: "2026-02-28", holidays: [], graceHours: 0))
            #expect(try await own.getQuoteKpis(GetQuoteKpisRequest(filter: AnalyticsFilter(currencyCode: "USD")))
                == world.data.quoteKpis(seesOwner: { $0 == seller }, seesDeal: ownDeal))
        }
    }

    @Test func theNewFiguresRefuseRequestsTheyCannotAnswerWithEveryViolation() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Refusals")
            let client = AnalyticsServiceClient(stack.client(tenant.keys[.admin]))
            func violations(_ call: () async throws -> some Any) async -> [String] {
                await failure(call)?.details.fieldViolations.map { "\($0.field) \($0.reason)" } ?? []
            }
            #expect(await violations {
                try await client.getStalledDeals(GetStalledDealsRequest(inactiveDays: -1, minimumCloseDatePushes: 101, dealLimit: 1001))
            } == ["inactive_days OUT_OF_RANGE", "minimum_close_date_pushes OUT_OF_RANGE", "deal_limit OUT_OF_RANGE"])
            #expect(await violations {
                try await client.getDailyReportCompliance(GetDailyReportComplianceRequest(filter: AnalyticsFilter(pipelineId: "pipe_x")))
            } == ["filter.from_date REQUIRED", "filter.to_date REQUIRED", "filter NOT_ALLOWED"])
            #expect(await violations {
                try await client.getDailyReportCompliance(GetDailyReportComplianceRequest(filter: AnalyticsFilter(fromDate: "2025-01-01", toDate: "2026-01-02")))
            } == ["filter.to_date OUT_OF_RANGE"])
            // The span is bounded without listing its days (millennia would otherwise
            // mean millions of calendar steps), and a malformed date fails its own check
            // only: its span is never measured.
            #expect(await violations {
                try await client.getDailyReportCompliance(GetDailyReportComplianceRequest(filter: AnalyticsFilter(fromDate: "0001-01-01", toDate: "9999-12-31")))
            } == ["filter.to_date OUT_OF_RANGE"])
            #expect(await violations {
                try await client.getDailyReportCompliance(GetDailyReportComplianceRequest(filter: AnalyticsFilter(fromDate: "1-01-01", toDate: "2026-01-01")))
            } == ["filter.from_date INVALID_FORMAT"])
            #expect(await violations { try await client.getSpeedToLead(GetSpeedToLeadRequest(filter: AnalyticsFilter(groupBy: .team))) } == ["filter.group_by NOT_ALLOWED"])
            #expect(await violations {
                try await client.getQuoteKpis(GetQuoteKpisRequest(filter: AnalyticsFilter(sources: [.website], groupBy: .pipeline)))
            } == ["filter NOT_ALLOWED", "filter.group_by NOT_ALLOWED"])
        }
    }

    /// A reporter owes the working days from its creation on, which the API stamps
    /// now: this backdates it in the control plane, the rep and the inside seller to
    /// before 2026, the second rep into the reports' last month (2026-02-02, noon UTC,
    /// so January is not missing for it). Returns their creation dates.
    static func backdateReporters(_ stack: TestStack, _ world: AnalyticsTests.World) async throws -> [String: String] {
        let (rep, insideSales) = (world.tenant.users[.rep]!.id, world.tenant.users[.insideSales]!.id)
        let createTimes = [rep: Int64(1_764_547_200_000), insideSales: 1_764_547_200_000, world.otherRepID: 1_770_033_600_000]
        // The test stack's control plane is control.sqlite.
        let store = try #require(stack.controlPlane.store as? SQLiteControlPlaneStore)
        try await store.database.write { db in
            for (id, time) in createTimes {
                try db.execute(sql: "UPDATE user SET create_time_ms = ? WHERE id = ?", arguments: [time, id])
            }
        }
        return [rep: "2025-12-01", insideSales: "2025-12-01", world.otherRepID: "2026-02-02"]
    }

    static func world(_ stack: TestStack, _ name: String) async throws -> AnalyticsTests.World {
        try await AnalyticsTests.world(stack, name)
    }

    /// Today in UTC (the generated tenant's time zone).
    static func today() -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let day = calendar.dateComponents([.year, .month, .day], from: Date())
        return String(format: "%04d-%02d-%02d", day.year!, day.month!, day.day!)
    }
}
