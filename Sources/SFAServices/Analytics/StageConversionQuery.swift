import GRDB
import SFAStubs

/// GetStageConversion, from the stage history. A stay in a stage ends with the
/// history entry that moved the deal out of it, which carries when the stay began
/// (`previous_stage_enter_time_ms`): ended stays are single index entries
/// (`opportunity_history_stays`), stays still running are the open deals' own stage
/// and entry time. History rows carry no owner: they are read only through the
/// deals the caller may read.
enum StageConversionQuery {
    static func run(_ db: Database, _ query: AnalyticsQuery, cumulative: Bool) throws -> GetStageConversionResponse {
        // Cumulative figures follow a cohort of deals (created in the period); the
        // others the stays that began in the period.
        let period = AnalyticsQuery.Period.time(cumulative ? "create_time_ms" : "enter_ms")
        let deals = try query.deals(cumulative ? period : nil)
        let group = try query.group(period)
        var stays = SQLConditions(("1", []))
        if !cumulative { try query.period(.time("r.enter_ms"), into: &stays) }
        let stages = try AnalyticsStages(db)
        let (won, lost) = ("next_kind = 1", "next_kind = 2")
        let advancedNext = "(\(won) OR (next_kind = 0 AND next_pipeline = pipeline AND next_position > position))"
        // Per stage: non-cumulative, the stays and those that went next to a later open
        // stage or won; cumulative, the deals whose furthest stage (won: past every open
        // one) is this one or later, and those that went further.
        let counts = cumulative
            ? """
            reach AS (
                SELECT grp, pipeline, max(max(position, CASE WHEN \(won) THEN 1000000
                    WHEN next_kind = 0 AND next_pipeline = pipeline THEN next_position ELSE -1 END)) AS furthest
                FROM stays GROUP BY opportunity_id, pipeline
            ),
            lengths AS (
                SELECT grp, stage_id, coalesce(sum(\(lost)), 0) AS lost, count(length) AS ended, coalesce(sum(length), 0) AS total
                FROM stays GROUP BY grp, stage_id
            ),
            counts AS (
                SELECT r.grp, st.id AS stage_id, count(*) AS entered, sum(r.furthest > st.position) AS advanced,
                    max(coalesce(l.lost, 0)) AS lost, max(coalesce(l.ended, 0)) AS ended, max(coalesce(l.total, 0)) AS total
                FROM reach r JOIN stages st ON st.pipeline = r.pipeline AND st.kind = 0 AND st.position <= r.furthest
                LEFT JOIN lengths l ON l.grp = r.grp AND l.stage_id = st.id
                GROUP BY r.grp, st.id
            )
            """
            : """
            counts AS (
                SELECT grp, stage_id, count(*) AS entered, coalesce(sum(\(advancedNext)), 0) AS advanced,
                    coalesce(sum(\(lost)), 0) AS lost, count(length) AS ended, coalesce(sum(length), 0) AS total
                FROM stays GROUP BY grp, stage_id
            )
            """
        let sql = """
            WITH deals AS (
                SELECT id, owner_user_id, team_id, source, pipeline_id, create_time_ms, state, stage_id, stage_enter_time_ms
                FROM opportunity WHERE \(deals.sql)
            ),
            stages AS (
                SELECT value ->> 'id' AS id, value ->> 'pipeline' AS pipeline, value ->> 'position' AS position, value ->> 'kind' AS kind
                FROM json_each(?)
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
            stays AS MATERIALIZED (
                SELECT \(group.sql) AS grp, r.opportunity_id, r.stage_id, r.length, st.pipeline, st.position,
                    nx.kind AS next_kind, nx.pipeline AS next_pipeline, nx.position AS next_position
                FROM raw r JOIN stages st ON st.id = r.stage_id AND st.kind = 0 LEFT JOIN stages nx ON nx.id = r.next_stage
                WHERE \(stays.sql)
            ),
            \(counts),
            ranked AS (
                SELECT grp, stage_id, length, row_number() OVER (PARTITION BY grp, stage_id ORDER BY length) AS rn,
                    count(*) OVER (PARTITION BY grp, stage_id) AS n
                FROM stays WHERE length IS NOT NULL
            ),
            medians AS (
                SELECT grp, stage_id, sum(length) AS middle, count(*) AS middles
                FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp, stage_id
            )
            SELECT c.grp, c.stage_id, c.entered, c.advanced, c.lost, c.ended, c.total, coalesce(m.middle, 0), coalesce(m.middles, 0)
            FROM counts c LEFT JOIN medians m ON m.grp = c.grp AND m.stage_id = c.stage_id
            """
        // Texts in order: deals, stages, the group and the period (in stays).
        let arguments = deals.arguments + [stages.json] + group.arguments + stays.arguments
        var response = GetStageConversionResponse()
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            guard let stage = stages.byID[row[1] as String] else { continue }
            let (entered, advanced, ended): (Int64, Int64, Int64) = (row[2], row[3], row[5])
            response.stages.append(StageConversion(
                group: query.key(row[0]),
                pipelineId: stage.pipelineID,
                stageId: stage.stage.id,
                stageName: stage.stage.name,
                stagePosition: stage.position,
                enteredCount: entered,
                advancedCount: advanced,
                lostCount: row[4],
                conversionBps: AnalyticsMath.bps(advanced, of: entered),
                endedStayCount: ended,
                meanTimeInStageMs: AnalyticsMath.mean(row[6], ended),
                medianTimeInStageMs: AnalyticsMath.mean(row[7], row[8])
            ))
        }
        response.stages.sort { ($0.group?.sortKey ?? "", $0.pipelineId, $0.stagePosition) < ($1.group?.sortKey ?? "", $1.pipelineId, $1.stagePosition) }
        return response
    }
}
