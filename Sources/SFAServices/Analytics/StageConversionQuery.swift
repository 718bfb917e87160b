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
    /// The sums of one stage of one group.
    struct Stays {
        var entered: Int64 = 0
        var advanced: Int64 = 0
        var lost: Int64 = 0
        var lengths: [Int64] = []
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
        var figures: [String: [Int64: Stays]] = [:]
        var keys: [String: DatabaseValue] = [:]
        // Cumulative: per deal, its group and the furthest stage code reached per pipeline.
        var furthest: [String: (group: String, pipelines: [Int64: Int64])] = [:]
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            // Only stays in open stages count (a stay in a closed stage is a reopened deal's).
            guard let stageCode = row[2] as Int64?, stageCode % 10_000 < won else { continue }
            let value: DatabaseValue = row[1]
            let key = value.description
            if keys[key] == nil { keys[key] = value }
            let nextCode = row[3] as Int64?
            let samePipeline = nextCode.map { $0 / 10_000 == stageCode / 10_000 } ?? false
            var stay = figures[key, default: [:]][stageCode, default: Stays()]
            stay.entered += 1
            if let nextCode {
                if samePipeline, nextCode % 10_000 == won || (nextCode % 10_000 < won && nextCode > stageCode) { stay.advanced += 1 }
                if nextCode % 10_000 == lost { stay.lost += 1 }
            }
            if let length = row[4] as Int64? { stay.lengths.append(length) }
            figures[key, default: [:]][stageCode] = stay
            if cumulative {
                let reached = max(stageCode % 10_000, samePipeline && (nextCode ?? 0) % 10_000 <= won ? (nextCode ?? 0) % 10_000 : -1)
                let id: String = row[0]
                var entry = furthest[id] ?? (key, [:])
                entry.pipelines[stageCode / 10_000] = max(entry.pipelines[stageCode / 10_000] ?? -1, reached)
                furthest[id] = entry
            }
        }
        var response = GetStageConversionResponse()
        var reached: [String: [Int64: Int64]] = [:]
        for entry in furthest.values {
            for (pipeline, stage) in entry.pipelines { reached[entry.group, default: [:]][pipeline * 10_000 + stage, default: 0] += 1 }
        }
        // A deal reaching a stage counts in every open stage before it, stays or none.
        for (key, _) in reached {
            for stage in stages.byID.values where !stage.stage.isClosed {
                let stageCode = stages.code(of: stage)
                if figures[key]?[stageCode] == nil { figures[key, default: [:]][stageCode] = Stays() }
            }
        }
        for (key, byCode) in figures {
            for (stageCode, stays) in byCode {
                guard let stage = stages.stage(coded: stageCode) else { continue }
                var figure = StageConversion(
                    group: query.key(keys[key] ?? .null),
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
                    // A deal counts in every open stage up to the furthest it reached.
                    let inPipeline = (reached[key] ?? [:]).filter { $0.key / 10_000 == stageCode / 10_000 }
                    figure.enteredCount = inPipeline.filter { $0.key >= stageCode }.values.reduce(0, +)
                    figure.advancedCount = inPipeline.filter { $0.key > stageCode }.values.reduce(0, +)
                }
                guard figure.enteredCount > 0 else { continue }
                figure.conversionBps = AnalyticsMath.bps(figure.advancedCount, of: figure.enteredCount)
                response.stages.append(figure)
            }
        }
        response.stages.sort { ($0.group?.sortKey ?? "", $0.pipelineId, $0.stagePosition) < ($1.group?.sortKey ?? "", $1.pipelineId, $1.stagePosition) }
        return response
    }
}
