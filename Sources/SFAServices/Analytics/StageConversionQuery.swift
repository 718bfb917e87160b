import GRDB
import SFAStubs

/// GetStageConversion, from the stage history. A stay in a stage ends with the
/// history entry that moved the deal out of it, which carries when the stay began
/// (`previous_stage_enter_time_ms`): ended stays are single index entries
/// (`opportunity_history_stays`), stays still running are the open deals' own stage
/// and entry time. History rows carry no owner: they are read only through the
/// deals the caller may read. Stages are compared by code (`AnalyticsStages`), so
/// no stay row joins a stage table: SQL groups by stage code, and by the next
/// stage's kind, and Swift names the few resulting rows.
enum StageConversionQuery {
    /// Which part of the one statement's result a row belongs to.
    enum Part: Int {
        /// Per group and stage: stays, advanced, lost, ended, Σ length.
        case stays = 0
        /// Cumulative: per group, pipeline and furthest stage code reached, the deals.
        case reach = 1
        /// Per group and stage: Σ and count of the middle lengths (the median).
        case median = 2
    }

    static func run(_ db: Database, _ query: AnalyticsQuery, cumulative: Bool) throws -> GetStageConversionResponse {
        // Cumulative figures follow a cohort of deals (created in the period); the
        // others the stays that began in the period.
        let period = AnalyticsQuery.Period.time(cumulative ? "create_time_ms" : "enter_ms")
        let deals = try query.deals(cumulative ? period : nil)
        let group = try query.group(period)
        var stays = SQLConditions(("code % 10000 < \(AnalyticsStages.won)", []))
        if !cumulative { try query.period(.time("enter_ms"), into: &stays) }
        let stages = try AnalyticsStages(db)
        let (code, next) = (stages.codeSQL("stage_id"), stages.codeSQL("next_stage"))
        let (won, lost) = (AnalyticsStages.won, AnalyticsStages.lost)
        let samePipeline = "next_code / 10000 = code / 10000"
        let advanced = "(\(samePipeline) AND (next_code % 10000 = \(won) OR (next_code % 10000 < \(won) AND next_code > code)))"
        // The furthest stage a deal reached in a pipeline: its open stays' stages and
        // where they led (won: 9000, past every open stage).
        let reach = """
            UNION ALL
            SELECT \(Part.reach.rawValue), grp, pipeline * 10000 + furthest, count(*), 0, 0, 0, 0 FROM (
                SELECT grp, code / 10000 AS pipeline, max(max(code % 10000,
                    CASE WHEN \(samePipeline) AND next_code % 10000 <= \(won) THEN next_code % 10000 ELSE -1 END)) AS furthest
                FROM stays GROUP BY opportunity_id, code / 10000
            ) GROUP BY grp, pipeline, furthest
            """
        let sql = """
            WITH deals AS (
                SELECT id, owner_user_id, team_id, source, pipeline_id, create_time_ms, state, stage_id, stage_enter_time_ms
                FROM opportunity WHERE \(deals.sql)
            ),
            raw AS (
                SELECT d.owner_user_id, d.team_id, d.source, d.pipeline_id, d.create_time_ms, h.opportunity_id,
                    h.previous_stage_id AS stage_id, h.previous_stage_enter_time_ms AS enter_ms, h.stage_id AS next_stage,
                    h.change_time_ms - h.previous_stage_enter_time_ms AS length
                FROM deals d JOIN opportunity_history h
                    ON h.opportunity_id = d.id AND h.previous_stage_id != '' AND h.previous_stage_id != h.stage_id
                UNION ALL
                SELECT owner_user_id, team_id, source, pipeline_id, create_time_ms, id, stage_id, stage_enter_time_ms, NULL, NULL
                FROM deals WHERE state = \(OpportunityState.open.rawValue)
            ),
            coded AS (
                SELECT \(group.sql) AS grp, opportunity_id, enter_ms, length, \(code.sql) AS code, \(next.sql) AS next_code FROM raw
            ),
            stays AS MATERIALIZED (
                SELECT grp, opportunity_id, code, next_code, length FROM coded WHERE \(stays.sql)
            ),
            ranked AS (
                SELECT grp, code, length, row_number() OVER (PARTITION BY grp, code ORDER BY length) AS rn,
                    count(*) OVER (PARTITION BY grp, code) AS n
                FROM stays WHERE length IS NOT NULL
            )
            SELECT \(Part.stays.rawValue), grp, code, count(*), coalesce(sum(\(advanced)), 0), coalesce(sum(next_code % 10000 = \(lost)), 0),
                count(length), coalesce(sum(length), 0)
            FROM stays GROUP BY grp, code
            \(cumulative ? reach : "")
            UNION ALL
            SELECT \(Part.median.rawValue), grp, code, sum(length), count(*), 0, 0, 0
            FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp, code
            """
        // Texts in order: deals, the group and the two codes (in coded), the period (in stays).
        let arguments = deals.arguments + group.arguments + code.arguments + next.arguments + stays.arguments
        var figures: [String: [Int64: StageConversion]] = [:]
        var reached: [String: [Int64: Int64]] = [:]
        var keys: [String: DatabaseValue] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let key = (row[1] as DatabaseValue).description
            keys[key] = row[1]
            let (codeValue, a, b): (Int64, Int64, Int64) = (row[2], row[3], row[4])
            switch Part(rawValue: row[0]) {
            case .stays:
                var figure = figures[key, default: [:]][codeValue, default: StageConversion()]
                (figure.enteredCount, figure.advancedCount, figure.lostCount) = (a, b, row[5])
                figure.endedStayCount = row[6]
                figure.meanTimeInStageMs = AnalyticsMath.mean(row[7], row[6])
                figures[key, default: [:]][codeValue] = figure
            case .reach:
                reached[key, default: [:]][codeValue] = a
            case .median:
                figures[key, default: [:]][codeValue, default: StageConversion()].medianTimeInStageMs = AnalyticsMath.mean(a, b)
            case nil:
                continue
            }
        }
        if cumulative {
            // A deal counts in every open stage up to the furthest it reached.
            for (key, furthest) in reached {
                for stage in stages.byID.values where !stage.stage.isClosed {
                    let stageCode = stages.code(of: stage)
                    let pipeline = stageCode / 10_000
                    let inPipeline = furthest.filter { $0.key / 10_000 == pipeline }
                    let entered = inPipeline.filter { $0.key >= stageCode }.values.reduce(0, +)
                    guard entered > 0 else { continue }
                    var figure = figures[key, default: [:]][stageCode, default: StageConversion()]
                    figure.enteredCount = entered
                    figure.advancedCount = inPipeline.filter { $0.key > stageCode }.values.reduce(0, +)
                    figures[key, default: [:]][stageCode] = figure
                }
            }
        }
        var response = GetStageConversionResponse()
        for (key, byCode) in figures {
            for (stageCode, figure) in byCode {
                guard let stage = stages.stage(coded: stageCode), figure.enteredCount > 0 else { continue }
                var named = figure
                named.group = query.key(keys[key] ?? .null)
                named.pipelineId = stage.pipelineID
                named.stageId = stage.stage.id
                named.stageName = stage.stage.name
                named.stagePosition = stage.position
                named.conversionBps = AnalyticsMath.bps(figure.advancedCount, of: figure.enteredCount)
                response.stages.append(named)
            }
        }
        response.stages.sort { ($0.group?.sortKey ?? "", $0.pipelineId, $0.stagePosition) < ($1.group?.sortKey ?? "", $1.pipelineId, $1.stagePosition) }
        return response
    }
}
