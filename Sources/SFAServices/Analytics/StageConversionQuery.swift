import GRDB
import SFAStubs

/// GetStageConversion, from the stage history: a stay in a stage starts with the
/// entry that moved the deal there (creation, a move, a reopen) and ends with its
/// next entry that moved it elsewhere (SQL window `lead()` over the deal's entries in
/// version order). History rows carry no owner: they are read only through the
/// deals the caller may read (joined to the scoped opportunity rows).
enum StageConversionQuery {
    static func run(_ db: Database, _ query: AnalyticsQuery, cumulative: Bool) throws -> GetStageConversionResponse {
        // Cumulative figures follow a cohort of deals (created in the period); the
        // others the stays that began in the period.
        let period = AnalyticsQuery.Period.time(cumulative ? "create_time_ms" : "change_time_ms")
        let deals = try query.deals(cumulative ? period : nil)
        let group = try query.group(period)
        var counted = SQLConditions(("st.kind = 0", []))
        if !cumulative { try query.period(.time("s.enter_ms"), into: &counted) }
        let stagesJSON = try AnalyticsStages(db)
        // Each open stage's deals: non-cumulative, those with a stay there (advanced:
        // next to a later open stage of the pipeline, or won); cumulative, those whose
        // furthest stage (won: past every open one) is this one or later.
        let counts = cumulative
            ? """
            reach AS (
                SELECT s.grp, st.pipeline, max(CASE st.kind WHEN 1 THEN 1000000 WHEN 0 THEN st.position END) AS furthest
                FROM stays s JOIN stages st ON st.id = s.stage_id GROUP BY s.opportunity_id, st.pipeline
            ),
            counts AS (
                SELECT r.grp, st.id AS stage_id, count(*) AS entered, sum(r.furthest > st.position) AS advanced
                FROM reach r JOIN stages st ON st.pipeline = r.pipeline AND st.kind = 0 AND r.furthest >= st.position
                GROUP BY r.grp, st.id
            )
            """
            : """
            counts AS (
                SELECT s.grp, s.stage_id, count(DISTINCT s.opportunity_id) AS entered,
                    count(DISTINCT CASE WHEN nx.kind = 1 OR (nx.kind = 0 AND nx.pipeline = st.pipeline AND nx.position > st.position)
                        THEN s.opportunity_id END) AS advanced
                FROM stays s JOIN stages st ON st.id = s.stage_id LEFT JOIN stages nx ON nx.id = s.next_stage
                WHERE \(counted.sql)
                GROUP BY s.grp, s.stage_id
            )
            """
        let sql = """
            WITH deals AS (
                SELECT id, owner_user_id, team_id, source, pipeline_id, create_time_ms FROM opportunity WHERE \(deals.sql)
            ),
            stages AS (
                SELECT value ->> 'id' AS id, value ->> 'pipeline' AS pipeline, value ->> 'position' AS position, value ->> 'kind' AS kind
                FROM json_each(?)
            ),
            stays AS (
                SELECT \(group.sql) AS grp, h.opportunity_id, h.stage_id, h.change_time_ms AS enter_ms,
                    lead(h.stage_id) OVER w AS next_stage, lead(h.change_time_ms) OVER w AS leave_ms
                FROM opportunity_history h JOIN deals d ON d.id = h.opportunity_id
                WHERE h.stage_id != h.previous_stage_id
                WINDOW w AS (PARTITION BY h.opportunity_id ORDER BY h.version)
            ),
            \(counts),
            lost AS (
                SELECT s.grp, s.stage_id, count(DISTINCT s.opportunity_id) AS lost
                FROM stays s JOIN stages st ON st.id = s.stage_id JOIN stages nx ON nx.id = s.next_stage
                WHERE nx.kind = 2 AND \(counted.sql)
                GROUP BY s.grp, s.stage_id
            ),
            durations AS (
                SELECT s.grp, s.stage_id, s.leave_ms - s.enter_ms AS d,
                    row_number() OVER (PARTITION BY s.grp, s.stage_id ORDER BY s.leave_ms - s.enter_ms) AS rn,
                    count(*) OVER (PARTITION BY s.grp, s.stage_id) AS n
                FROM stays s JOIN stages st ON st.id = s.stage_id
                WHERE s.leave_ms IS NOT NULL AND \(counted.sql)
            ),
            times AS (
                SELECT grp, stage_id, count(*) AS stays, sum(d) AS total,
                    sum(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN d ELSE 0 END) AS middle,
                    sum(rn IN ((n + 1) / 2, (n + 2) / 2)) AS middles
                FROM durations GROUP BY grp, stage_id
            )
            SELECT c.grp, c.stage_id, c.entered, c.advanced, coalesce(l.lost, 0),
                coalesce(t.stays, 0), coalesce(t.total, 0), coalesce(t.middle, 0), coalesce(t.middles, 0)
            FROM counts c
            LEFT JOIN lost l ON l.grp = c.grp AND l.stage_id = c.stage_id
            LEFT JOIN times t ON t.grp = c.grp AND t.stage_id = c.stage_id
            """
        // Texts in order: deals, stages, the group (in stays), then the period
        // conditions of counts (non-cumulative), lost and durations.
        var arguments = deals.arguments + [stagesJSON.json] + group.arguments
        if !cumulative { arguments += counted.arguments }
        arguments += counted.arguments + counted.arguments
        var response = GetStageConversionResponse()
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            guard let stage = stagesJSON.byID[row[1] as String] else { continue }
            let (entered, advanced): (Int64, Int64) = (row[2], row[3])
            let stays: Int64 = row[5]
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
                endedStayCount: stays,
                meanTimeInStageMs: AnalyticsMath.mean(row[6], stays),
                medianTimeInStageMs: AnalyticsMath.mean(row[7], row[8])
            ))
        }
        response.stages.sort { ($0.group?.sortKey ?? "", $0.pipelineId, $0.stagePosition) < ($1.group?.sortKey ?? "", $1.pipelineId, $1.stagePosition) }
        return response
    }
}
