import GRDB
import SFAStubs

/// GetPipelineSummary: the open deals per stage — count, amount, weighted amount
/// (the deals' stored weighted amounts: each rounded once, when the deal was
/// written), mean age in the stage — per group.
enum PipelineSummaryQuery {
    static func run(_ db: Database, _ query: AnalyticsQuery) throws -> GetPipelineSummaryResponse {
        let period = AnalyticsQuery.Period.date("expected_close_date")
        var deals = try query.deals(period)
        deals.add("state = ?", [OpportunityState.open.rawValue])
        let group = try query.group(period)
        let sql = """
            SELECT \(group.sql) AS grp, pipeline_id, stage_id, count(*),
                sum(CASE WHEN amount_currency = ? THEN amount_minor ELSE 0 END),
                sum(CASE WHEN amount_currency = ? THEN weighted_minor ELSE 0 END),
                sum(? - stage_enter_time_ms),
                sum(amount_currency != ?)
            FROM opportunity WHERE \(deals.sql)
            GROUP BY grp, pipeline_id, stage_id
            """
        let arguments = group.arguments + [query.currency, query.currency, query.now, query.currency] + deals.arguments
        let stages = try AnalyticsStages(db)
        var response = GetPipelineSummaryResponse()
        var amount: Int64 = 0
        var weighted: Int64 = 0
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let stage = stages.byID[row[2] as String]
            let count: Int64 = row[3]
            response.stages.append(PipelineStageSummary(
                group: query.key(row[0]),
                pipelineId: row[1],
                stageId: row[2],
                stageName: stage?.stage.name ?? "",
                stagePosition: stage?.position ?? 0,
                opportunityCount: count,
                amount: query.money(row[4]),
                weightedAmount: query.money(row[5]),
                averageAgeInStageMs: AnalyticsMath.mean(row[6], count)
            ))
            response.opportunityCount += count
            amount += row[4] as Int64
            weighted += row[5] as Int64
            response.excludedOtherCurrencyCount += row[7] as Int64
        }
        response.stages.sort { ($0.group?.sortKey ?? "", $0.pipelineId, $0.stagePosition) < ($1.group?.sortKey ?? "", $1.pipelineId, $1.stagePosition) }
        response.amount = query.money(amount)
        response.weightedAmount = query.money(weighted)
        return response
    }
}

extension AnalyticsGroupKey {
    /// The order of rows: by the grouping's value (sources by number).
    var sortKey: String {
        source == .unspecified ? ownerUserId + teamId + pipelineId + month : String(10_000 + Int(source.rawValue))
    }
}
