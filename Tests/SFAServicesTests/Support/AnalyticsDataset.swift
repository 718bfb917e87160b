import Foundation
import GRDB
@testable import SFAServices
import SFAStorage
import SFAStubs

/// A seeded generated tenant history for the analytics tests: leads with their
/// lifecycle times, deals with their stage paths (and the history entries the
/// engine writes), activities and consultations, written straight into the tenant's file through the engine's own
/// row writers (`RecordRows.insert`, `OpportunityHistory.insert`), so every time is
/// known. The expected figures are computed from these values in Swift, never with
/// the server's SQL.
struct AnalyticsDataset {
    struct GeneratedLead {
        var lead: Lead
        /// Of the deal it converted into, if any.
        var dealIndex: Int?
    }

    /// One stay in a stage: when it began and what ended it (nil while still there).
    struct Stay {
        var stage: Int
        var enterMs: Int64
        var next: Int?
        var leaveMs: Int64?
    }

    struct GeneratedDeal {
        var deal: Opportunity
        var stays: [Stay]
    }

    static let day: Int64 = 86_400_000
    /// 2026-01-01T00:00:00Z.
    static let start: Int64 = 1_767_225_600_000

    var leads: [GeneratedLead] = []
    var deals: [GeneratedDeal] = []
    var activities: [Activity] = []
    var consultations: [Consultation] = []
    var quotes: [Quote] = []
    var dailyReports: [DailyReport] = []
    /// When the dataset was made: the deals' activity times are set back from it.
    var madeMs: Int64 = 0

    /// A small deterministic generator (SplitMix64): the same seed, the same tenant.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// - Parameters:
    ///   - owners: the users owning records, with their teams.
    ///   - partner: the partner user some leads (and their deals) come from.
    ///   - stages: the default pipeline's stages (five open, won, lost).
    init(seed: UInt64, owners: [(id: String, team: String)], partner: String, pipeline: Pipeline, leadCount: Int, dealCount: Int, activityCount: Int) {
        var random = Seeded(state: seed)
        let stages = pipeline.stages
        for index in 0..<leadCount {
            let owner = owners[Int.random(in: 0..<owners.count, using: &random)]
            let fromPartner = index % 7 == 0
            var lead = Lead(
                id: "lead_gen\(index)",
                version: 1,
                lastName: "Lead \(index)",
                email: "lead\(index)@example.com",
                companyName: "Company \(index)",
                source: LeadSource(rawValue: Int32.random(in: 1...11, using: &random)),
                lifecycle: .unclassified,
                status: .open,
                ownerUserId: owner.id,
                createdByUserId: fromPartner ? partner : owner.id
            )
            lead.partnerSourceId = fromPartner ? partner : ""
            lead.createTimeMs = Self.start + Int64.random(in: 0..<(180 * Self.day), using: &random)
            lead.updateTimeMs = lead.createTimeMs
            var time = lead.createTimeMs
            if Int.random(in: 0..<10, using: &random) < 7 {
                time += Int64.random(in: 3_600_000..<(10 * Self.day), using: &random)
                lead.mqlTimeMs = time
                lead.lifecycle = .mql
            }
            // Some reach SQL from MQL, a few sales-sourced ones straight away.
            if lead.mqlTimeMs > 0 ? Int.random(in: 0..<10, using: &random) < 6 : Int.random(in: 0..<10, using: &random) < 2 {
                time += Int64.random(in: 3_600_000..<(15 * Self.day), using: &random)
                lead.sqlTimeMs = time
                lead.lifecycle = .sql
                lead.status = .qualified
            }
            var generated = GeneratedLead(lead: lead)
            if lead.sqlTimeMs > 0, Int.random(in: 0..<10, using: &random) < 6 {
                time += Int64.random(in: 3_600_000..<(20 * Self.day), using: &random)
                generated.lead.convertedTimeMs = time
                generated.lead.status = .converted
                if Int.random(in: 0..<10, using: &random) < 8 {
                    generated.dealIndex = deals.count
                    generated.lead.convertedOpportunityId = "opp_gen\(deals.count)"
                    deals.append(Self.deal(
                        deals.count, owner: owner, lead: generated.lead, createMs: time + Int64.random(in: 0..<3_600_000, using: &random),
                        pipeline: pipeline, stages: stages, random: &random
                    ))
                }
            }
            leads.append(generated)
        }
        for index in 0..<activityCount {
            var activity = Activity()
            activity.id = "act_gen\(index)"
            activity.version = 1
            activity.ownerUserId = owners[Int.random(in: 0..<owners.count, using: &random)].id
            activity.createdByUserId = activity.ownerUserId
            activity.kind = ActivityKind(rawValue: Int32.random(in: 1...6, using: &random))
            let roll = Int.random(in: 0..<10, using: &random)
            activity.state = roll < 6 ? .done : roll < 9 ? .planned : .cancelled
            activity.activityTimeMs = Self.start + Int64.random(in: 0..<(120 * Self.day), using: &random)
            activity.activityDate = TenantCalendar(timeZone: "UTC").date(ofMs: activity.activityTimeMs)
            if activity.state == .done {
                activity.durationMs = Int64.random(in: 0..<7_200_000, using: &random)
                if activity.kind == .call { activity.callResult = CallResult(rawValue: Int32.random(in: 1...5, using: &random)) }
            }
            activity.archived = index % 31 == 30
            activities.append(activity)
        }
        for index in 0..<activityCount / 5 {
            var consultation = Consultation()
            consultation.id = "cons_gen\(index)"
            consultation.version = 1
            consultation.ownerUserId = owners[Int.random(in: 0..<owners.count, using: &random)].id
            consultation.createdByUserId = consultation.ownerUserId
            consultation.startTimeMs = Self.start + Int64.random(in: 0..<(120 * Self.day), using: &random)
            consultation.consultationDate = TenantCalendar(timeZone: "UTC").date(ofMs: consultation.startTimeMs)
            consultation.archived = index % 29 == 28
            consultations.append(consultation)
        }
        while deals.count < dealCount {
            let owner = owners[Int.random(in: 0..<owners.count, using: &random)]
            deals.append(Self.deal(
                deals.count, owner: owner, lead: nil, createMs: Self.start + Int64.random(in: 0..<(180 * Self.day), using: &random),
                pipeline: pipeline, stages: stages, random: &random
            ))
        }
        madeMs = Self.now()
        addStallSigns(random: &random)
        addLeadTouches(owners: owners, random: &random)
        addQuotes(owners: owners, random: &random)
        addDailyReports(owners: owners, random: &random)
    }

    /// The deals' derived activity times and close-date pushes, and lost reasons.
    /// Last activities lie a whole number of hours and a half before `madeMs`: no
    /// inactivity limit (whole days) falls within half an hour of the test's clock.
    private mutating func addStallSigns(random: inout Seeded) {
        for index in deals.indices {
            var deal = deals[index].deal
            if Int.random(in: 0..<4, using: &random) > 0 {
                deal.lastActivityTimeMs = madeMs - Int64.random(in: 0..<(40 * 24), using: &random) * 3_600_000 - 1_800_000
            }
            if Int.random(in: 0..<2, using: &random) == 0 { deal.nextActivityTimeMs = madeMs + Int64.random(in: 1...(30 * Self.day), using: &random) }
            deal.closeDatePushCount = Int32.random(in: 0...3, using: &random)
            if deal.state == .open, index % 4 == 0 { deal.expectedCloseDate = "2099-01-15" }
            if deal.state == .lost { deal.lostReason = ["price", "timing", "competitor", ""][Int.random(in: 0..<4, using: &random)] }
            deals[index].deal = deal
        }
    }

    /// Activities and consultations on leads: done ones soon after creation (by any
    /// owner: all count), and ones that must not — planned, before the lead's creation.
    private mutating func addLeadTouches(owners: [(id: String, team: String)], random: inout Seeded) {
        for (index, generated) in leads.enumerated() {
            let lead = generated.lead
            func activity(_ state: ActivityState, at time: Int64) -> Activity {
                var activity = Activity()
                activity.id = "act_lead\(index)_\(activities.count)"
                activity.version = 1
                activity.ownerUserId = owners[Int.random(in: 0..<owners.count, using: &random)].id
                activity.createdByUserId = activity.ownerUserId
                activity.kind = .call
                activity.state = state
                activity.leadId = lead.id
                activity.activityTimeMs = time
                activity.activityDate = TenantCalendar(timeZone: "UTC").date(ofMs: time)
                return activity
            }
            if index % 3 == 0 { activities.append(activity(.done, at: lead.createTimeMs + Int64.random(in: 0..<(2 * Self.day), using: &random))) }
            if index % 7 == 0 { activities.append(activity(.planned, at: lead.createTimeMs + 600_000)) }
            if index % 11 == 0 { activities.append(activity(.done, at: lead.createTimeMs - 3_600_000)) }
            if index % 5 == 0 {
                var consultation = Consultation()
                consultation.id = "cons_lead\(index)"
                consultation.version = 1
                consultation.ownerUserId = owners[Int.random(in: 0..<owners.count, using: &random)].id
                consultation.createdByUserId = consultation.ownerUserId
                consultation.leadId = lead.id
                consultation.startTimeMs = lead.createTimeMs + Int64.random(in: 0..<(3 * Self.day), using: &random)
                consultation.consultationDate = TenantCalendar(timeZone: "UTC").date(ofMs: consultation.startTimeMs)
                consultations.append(consultation)
            }
        }
    }

    /// A quote on every third deal (by its owner or another), at some discount, some
    /// needing approval and decided, some still drafts (which do not count).
    private mutating func addQuotes(owners: [(id: String, team: String)], random: inout Seeded) {
        for (index, generated) in deals.enumerated() where index % 3 == 0 {
            let deal = generated.deal
            let owner = index % 9 == 0 ? owners[Int.random(in: 0..<owners.count, using: &random)] : (deal.ownerUserId, deal.teamId)
            var quote = Quote()
            quote.id = "quot_gen\(index)"
            quote.version = 1
            quote.opportunityId = deal.id
            quote.ownerUserId = owner.0
            quote.createdByUserId = owner.0
            quote.teamId = owner.1
            quote.currencyCode = deal.amount!.currencyCode
            let subtotal = Int64.random(in: 10_000...2_000_000, using: &random)
            quote.effectiveDiscountBps = Int32.random(in: 0...3000, using: &random)
            quote.subtotal = Money(currencyCode: quote.currencyCode, amountMinor: subtotal)
            quote.discountTotal = Money(currencyCode: quote.currencyCode, amountMinor: subtotal * Int64(quote.effectiveDiscountBps) / 10_000)
            quote.createTimeMs = deal.createTimeMs + Int64.random(in: 0..<(5 * Self.day), using: &random)
            quote.requiresApproval = quote.effectiveDiscountBps > 2000
            if index % 4 != 0 {
                quote.submitTimeMs = quote.createTimeMs + Int64.random(in: 60_000..<Self.day, using: &random)
                if quote.requiresApproval, index % 5 != 0 {
                    quote.approvalDecisionTimeMs = quote.submitTimeMs + Int64.random(in: 60_000..<(2 * Self.day), using: &random)
                }
                quote.status = quote.requiresApproval && quote.approvalDecisionTimeMs == 0 ? .needsApproval : .presented
                if quote.status == .presented { quote.presentTimeMs = max(quote.submitTimeMs, quote.approvalDecisionTimeMs) + 60_000 }
            } else {
                quote.status = .draft
            }
            quotes.append(quote)
        }
    }

    /// Daily reports of every owner in January and February 2026: most working days,
    /// some weekend days, on time or late, in every status.
    private mutating func addDailyReports(owners: [(id: String, team: String)], random: inout Seeded) {
        let calendar = TenantCalendar(timeZone: "UTC")
        for owner in owners {
            for (offset, day) in calendar.dates(from: "2026-01-01", through: "2026-02-28").enumerated() {
                let weekend = day.weekday == .saturday || day.weekday == .sunday
                guard Int.random(in: 0..<10, using: &random) < (weekend ? 1 : 8) else { continue }
                var report = DailyReport()
                report.id = "drpt_\(owner.id)_\(offset)"
                report.version = 1
                report.reportDate = day.date
                report.ownerUserId = owner.id
                report.createdByUserId = owner.id
                report.teamId = owner.team
                report.status = [.draft, .submitted, .approved, .approved, .returned][Int.random(in: 0..<5, using: &random)]
                if report.status != .draft {
                    // Hours after the day's start: before midnight, within grace, or later.
                    report.submitTimeMs = calendar.bounds(of: day.date)!.startMs + Int64.random(in: 12...40, using: &random) * 3_600_000
                        + Int64.random(in: 1..<3_600_000, using: &random)
                }
                dailyReports.append(report)
            }
        }
    }

    /// A deal and its path through the stages: forward one or two, now and then back
    /// one, closed won or lost, or left open; amounts mostly in USD, some in JPY.
    private static func deal(
        _ index: Int, owner: (id: String, team: String), lead: Lead?, createMs: Int64, pipeline: Pipeline, stages: [PipelineStage],
        random: inout Seeded
    ) -> GeneratedDeal {
        let currency = Int.random(in: 0..<10, using: &random) == 0 ? "JPY" : "USD"
        let amount = Int64.random(in: 1_000...5_000_000, using: &random)
        var stays = [Stay(stage: Int.random(in: 0..<4, using: &random) == 0 ? 1 : 0, enterMs: createMs)]
        var time = createMs
        for _ in 0..<6 {
            let current = stays[stays.count - 1].stage
            guard current < 5 else { break }
            let roll = Int.random(in: 0..<20, using: &random)
            let next: Int
            switch roll {
            case 0..<3: next = 5
            case 3..<6: next = 6
            case 6..<8: next = max(current - 1, 0)
            case 8..<10: next = min(current + 2, 4)
            case 10..<17: next = min(current + 1, 4)
            default: next = -1
            }
            guard next >= 0, next != current else { break }
            time += Int64.random(in: 3_600_000..<(20 * day), using: &random)
            stays[stays.count - 1].next = next
            stays[stays.count - 1].leaveMs = time
            stays.append(Stay(stage: next, enterMs: time))
        }
        let last = stays[stays.count - 1]
        let stage = stages[last.stage]
        var deal = Opportunity(
            id: "opp_gen\(index)",
            version: Int64(stays.count),
            name: "Deal \(index)",
            accountId: "acct_gen",
            amount: Money(currencyCode: currency, amountMinor: amount),
            expectedCloseDate: TenantCalendar(timeZone: "UTC").date(ofMs: createMs + Int64.random(in: 30...120, using: &random) * day),
            pipelineId: pipeline.id,
            stageId: stage.id,
            probabilityPercent: stage.defaultProbabilityPercent,
            forecastCategory: stage.forecastCategory,
            state: !stage.isClosed ? .open : stage.isWon ? .won : .lost,
            sourceLeadId: lead?.id ?? "",
            stageEnterTimeMs: last.enterMs,
            archived: index % 25 == 24,
            ownerUserId: owner.id,
            createdByUserId: owner.id,
            createTimeMs: createMs,
            updateTimeMs: last.enterMs,
            teamId: owner.team,
            source: lead?.source ?? LeadSource(rawValue: Int32.random(in: 1...11, using: &random)),
            partnerSourceId: lead?.partnerSourceId ?? ""
        )
        deal.weightedAmount = Money(currencyCode: currency, amountMinor: Opportunity.weighted(amount, percent: stage.defaultProbabilityPercent))
        if stage.isClosed {
            deal.closedTimeMs = last.enterMs
            deal.closedDate = TenantCalendar(timeZone: "UTC").date(ofMs: last.enterMs)
            if !stage.isWon { deal.lostReason = "price" }
        }
        return GeneratedDeal(deal: deal, stays: stays)
    }

    /// Writes the records, and each deal's history (one entry per stay, plus an amount
    /// change that is no stage change), into `tenantID`'s file.
    func write(to tenants: TenantDatabases, tenantID: String, stages: [PipelineStage]) async throws {
        try await tenants.write(tenantID) { db in
            try db.execute(
                sql: "INSERT INTO account (id, version, owner_user_id, created_by_user_id, archived, kind, industry, name_key, search, update_time_ms, data) VALUES ('acct_gen', 1, '', '', 0, 0, '', '', '', 0, x'')"
            )
            for lead in leads { try RecordRows.insert(db, lead.lead) }
            for activity in activities { try RecordRows.insert(db, activity) }
            for consultation in consultations { try RecordRows.insert(db, consultation) }
            for report in dailyReports { try RecordRows.insert(db, report) }
            for generated in deals {
                try RecordRows.insert(db, generated.deal)
                // Derived columns, outside the stored record (the engine keeps them).
                try db.execute(
                    sql: "UPDATE opportunity SET last_activity_time_ms = ?, next_activity_time_ms = ?, close_date_push_count = ? WHERE id = ?",
                    arguments: [generated.deal.lastActivityTimeMs, generated.deal.nextActivityTimeMs, generated.deal.closeDatePushCount, generated.deal.id]
                )
                var version: Int64 = 0
                var previous = ""
                var previousEnter: Int64 = 0
                for stay in generated.stays {
                    version += 1
                    let stageID = stages[stay.stage].id
                    try OpportunityHistory.insert(db, OpportunityHistoryEntry(
                        id: "ohist_\(generated.deal.id)_\(version)", opportunityId: generated.deal.id, changeTimeMs: stay.enterMs,
                        stageId: stageID, previousStageId: previous, kind: previous.isEmpty ? .created : .stageChanged, version: version,
                        previousStageEnterTimeMs: previousEnter
                    ))
                    (previous, previousEnter) = (stageID, stay.enterMs)
                }
                // An amount change in the last stage: an entry that moves nowhere.
                try OpportunityHistory.insert(db, OpportunityHistoryEntry(
                    id: "ohist_\(generated.deal.id)_amount", opportunityId: generated.deal.id, changeTimeMs: generated.deal.updateTimeMs + 1,
                    stageId: previous, previousStageId: previous, kind: .updated, version: version + 1
                ))
            }
            for quote in quotes { try RecordRows.insert(db, quote) }
            // The leads' first touch, as the activities' and consultations' hooks keep it.
            try LeadFirstTouch.refresh(db, leadIDs: Set(leads.map(\.lead.id)))
        }
    }
}
