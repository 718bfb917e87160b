import GRDB
import SFAStubs

/// GetStageConversion, from the stays of deals in stages. A stay that ended is a row
/// of `stage_stay` (written with the history entry that moved the deal out of the
/// stage, and carrying the deal's owner, team, pipeline, source and partner, so the
/// caller's scope and the filter apply to it directly, through its covering
/// indexes); a stay still running is an open deal's own stage and entry time. SQL
/// reads the stays in index order, with their stage codes (`AnalyticsStages`), and
/// no sort or window; Swift adds them up per group and stage, the medians from each
/// stage's sorted lengths, and (cumulative) the furthest stage each deal reached.
enum StageConversionQuery {
    /// A group's stage (by code).
    struct Slot: Hashable {
        let group: DatabaseValue
        let code: Int64
    }

    /// The sums of one slot.
    struct Stays {
        var entered: Int64 = 0
        var advanced: Int64 = 0
        var lost: Int64 = 0
        var lengths: [Int64] = []
    }

    /// One deal of a cumulative cohort: its group and furthest stage per pipeline.
    struct Furthest {
        let group: DatabaseValue
        var pipelines: [Int64: Int64] = [:]
    }

    static func run(_ db: Database, _ query: AnalyticsQuery, cumulative: Bool) throws -> GetStageConversionResponse {
        // Cumulative figures follow a cohort of deals (created in the period); the
        // others the stays that began in the period.
        var stays = try query.deals(cumulative ? .time("create_time_ms") : nil)
        var open = try query.deals(cumulative ? .time("create_time_ms") : nil)
        open.add("state = ?", [OpportunityState.open.rawValue])
        if !cumulative {
            try query.period(.time("enter_time_ms"), into: &stays)
            try query.period(.time("stage_enter_time_ms"), into: &open)
        }
        let stayGroup = try query.group(.time(cumulative ? "create_time_ms" : "enter_time_ms"))
        let openGroup = try query.group(.time(cumulative ? "create_time_ms" : "stage_enter_time_ms"))
        let stages = try AnalyticsStages(db)
        let (code, next) = (stages.codeSQL("stage_id"), stages.codeSQL("next_stage_id"))
        let deal = cumulative ? ("opportunity_id", "id") : ("''", "''")
        let sql = """
            SELECT \(deal.0), \(stayGroup.sql), \(code.sql), \(next.sql), length_ms FROM stage_stay WHERE \(stays.sql)
            UNION ALL
            SELECT \(deal.1), \(openGroup.sql), \(code.sql), NULL, NULL FROM opportunity WHERE \(open.sql)
            """
        // In the order of the text.
        let arguments = stayGroup.arguments + code.arguments + next.arguments + stays.arguments + openGroup.arguments + code.arguments + open.arguments
        let (won, lost) = (AnalyticsStages.won, AnalyticsStages.lost)
        // Every row updates its slot in place (no copy of a stage's lengths per row).
        var figures: [Slot: Stays] = [:]
        // Cumulative: per deal, its group and the furthest stage code reached per pipeline.
        var furthest: [String: Furthest] = [:]
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            // Only stays in open stages count (a stay in a closed stage is a reopened deal's).
            guard let stageCode = row[2] as Int64?, stageCode % 10_000 < won else { continue }
            let group: DatabaseValue = row[1]
            let nextCode = row[3] as Int64?
            let length = row[4] as Int64?
            let samePipeline = nextCode.map { $0 / 10_000 == stageCode / 10_000 } ?? false
            figures.update(Slot(group: group, code: stageCode), default: Stays()) { stay in
                stay.entered += 1
                if let nextCode {
                    if samePipeline, nextCode % 10_000 == won || (nextCode % 10_000 < won && nextCode > stageCode) { stay.advanced += 1 }
                    if nextCode % 10_000 == lost { stay.lost += 1 }
                }
                if let length { stay.lengths.append(length) }
            }
            if cumulative {
                let next = samePipeline && (nextCode ?? 0) % 10_000 <= won ? (nextCode ?? 0) % 10_000 : -1
                let reached = max(stageCode % 10_000, next)
                furthest.update(row[0] as String, default: Furthest(group: group)) { deal in
                    deal.pipelines[stageCode / 10_000] = max(deal.pipelines[stageCode / 10_000] ?? -1, reached)
                }
            }
        }
        var reached: [Slot: Int64] = [:]
        for deal in furthest.values {
            for (pipeline, stage) in deal.pipelines { reached[Slot(group: deal.group, code: pipeline * 10_000 + stage), default: 0] += 1 }
        }
        // A deal reaching a stage counts in every open stage before it, stays or none.
        for group in Set(reached.keys.map(\.group)) {
            for stage in stages.byID.values where !stage.stage.isClosed {
                let slot = Slot(group: group, code: stages.code(of: stage))
                if figures[slot] == nil { figures[slot] = Stays() }
            }
        }
        var response = GetStageConversionResponse()
        for (slot, stays) in figures {
            guard let stage = stages.stage(coded: slot.code) else { continue }
            var figure = StageConversion(
                group: query.key(slot.group),
                pipelineId: stage.pipelineID,
                stageId: stage.stage.id,
                stageName: stage.stage.name,
                stagePosition: stage.position,
                enteredCount: stays.entered,
                advancedCount: stays.advanced,
                lostCount: stays.lost,
                endedStayCount: Int64(stays.lengths.count)
            )
            let lengths = stays.lengths.sorted()
            figure.meanTimeInStageMs = AnalyticsMath.mean(lengths.reduce(0, +), Int64(lengths.count))
            if !lengths.isEmpty {
                figure.medianTimeInStageMs = AnalyticsMath.mean(lengths[(lengths.count - 1) / 2] + lengths[lengths.count / 2], 2)
            }
            if cumulative {
                // Entered: the deals whose furthest stage in this pipeline is here or later.
                let inPipeline = reached.filter { $0.key.group == slot.group && $0.key.code / 10_000 == slot.code / 10_000 }
                figure.enteredCount = inPipeline.filter { $0.key.code >= slot.code }.values.reduce(0, +)
                figure.advancedCount = inPipeline.filter { $0.key.code > slot.code }.values.reduce(0, +)
            }
            guard figure.enteredCount > 0 else { continue }
            figure.conversionBps = AnalyticsMath.bps(figure.advancedCount, of: figure.enteredCount)
            response.stages.append(figure)
        }
        response.stages.sort { ($0.group?.sortKey ?? "", $0.pipelineId, $0.stagePosition) < ($1.group?.sortKey ?? "", $1.pipelineId, $1.stagePosition) }
        return response
    }
}
