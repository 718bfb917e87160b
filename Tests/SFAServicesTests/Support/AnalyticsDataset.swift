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
            for generated in deals {
                try RecordRows.insert(db, generated.deal)
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
        }
    }
}
