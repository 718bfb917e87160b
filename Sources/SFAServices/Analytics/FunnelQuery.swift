import GRDB
import SFAStubs

/// GetFunnel: the leads created in the period, and how many reached each step or a
/// later one (a lead converted without being qualified has reached SQL: conversion
/// sets its SQL time; a sales-sourced lead qualified straight away has reached MQL),
/// with rates, mean times between steps and the won amount — per group. A converted
/// lead's deal is read by id from the covering index `opportunity_by_id_figures`.
enum FunnelQuery {
    /// The groupings a lead has: no team (its owner's changes) and no pipeline.
    static let groupings: Set<AnalyticsGrouping> = [.owner, .source, .month]

    /// Step counts and the sums and counts of the times from the previous step.
    struct Sums {
        var counts = [Int64](repeating: 0, count: 6)
        var timeSums = [Int64](repeating: 0, count: 6)
        var timeCounts = [Int64](repeating: 0, count: 6)
        var wonAmount: Int64 = 0
        var excluded: Int64 = 0

        init() {}

        init(_ row: Row) {
            for step in 0..<6 {
                counts[step] = row[1 + step]
                timeSums[step] = row[7 + 2 * step]
                timeCounts[step] = row[8 + 2 * step]
            }
            wonAmount = row[19]
            excluded = row[20]
        }

        static func += (total: inout Sums, sums: Sums) {
            for step in 0..<6 {
                total.counts[step] += sums.counts[step]
                total.timeSums[step] += sums.timeSums[step]
                total.timeCounts[step] += sums.timeCounts[step]
            }
            total.wonAmount += sums.wonAmount
            total.excluded += sums.excluded
        }
    }

    static func run(_ db: Database, _ query: AnalyticsQuery) throws -> GetFunnelResponse {
        let leads = try query.leads()
        let deals = query.joinedDeals()
        let group = try query.group(.time("create_time_ms"))
        let won = OpportunityState.won.rawValue
        // Each step's reach and its (sum, count) of times from the previous step (LEAD
        // has none: 0, 0). Deal columns are NULL for leads without a readable deal:
        // they are counted with CASE, never summed as comparisons (a sum of NULLs is NULL).
        let sql = """
            SELECT l.grp, count(*),
                sum(l.mql_time_ms > 0 OR l.sql_time_ms > 0 OR l.converted_time_ms > 0),
                sum(l.sql_time_ms > 0 OR l.converted_time_ms > 0),
                sum(l.converted_time_ms > 0),
                count(o.id),
                count(CASE WHEN o.state = \(won) THEN 1 END),
                0, 0,
                sum(CASE WHEN l.mql_time_ms > 0 THEN l.mql_time_ms - l.create_time_ms ELSE 0 END), sum(l.mql_time_ms > 0),
                sum(CASE WHEN l.sql_time_ms > 0 AND l.mql_time_ms > 0 THEN l.sql_time_ms - l.mql_time_ms ELSE 0 END),
                sum(l.sql_time_ms > 0 AND l.mql_time_ms > 0),
                sum(CASE WHEN l.converted_time_ms > 0 AND l.sql_time_ms > 0 THEN l.converted_time_ms - l.sql_time_ms ELSE 0 END),
                sum(l.converted_time_ms > 0 AND l.sql_time_ms > 0),
                sum(CASE WHEN o.id IS NOT NULL THEN o.create_time_ms - l.converted_time_ms ELSE 0 END), count(o.id),
                sum(CASE WHEN o.state = \(won) THEN o.closed_time_ms - o.create_time_ms ELSE 0 END),
                count(CASE WHEN o.state = \(won) THEN 1 END),
                sum(CASE WHEN o.state = \(won) AND o.amount_currency = ?1 THEN o.amount_minor ELSE 0 END),
                count(CASE WHEN o.state = \(won) AND o.amount_currency != ?1 THEN 1 END)
            FROM (SELECT \(group.sql) AS grp, create_time_ms, mql_time_ms, sql_time_ms, converted_time_ms, converted_opportunity_id
                  FROM lead WHERE \(leads.sql)) l
            LEFT JOIN (SELECT id, state, create_time_ms, closed_time_ms, amount_currency, amount_minor
                       FROM opportunity INDEXED BY opportunity_by_id_figures WHERE \(deals.sql)) o
                ON o.id = l.converted_opportunity_id AND l.converted_opportunity_id != ''
            GROUP BY l.grp ORDER BY l.grp
            """
        let arguments: StatementArguments = [query.currency] + group.arguments + leads.arguments + deals.arguments
        var response = GetFunnelResponse()
        var total = Sums()
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let sums = Sums(row)
            total += sums
            if query.filter.groupBy != .unspecified { response.rows.append(funnel(sums, group: query.key(row[0]), query)) }
        }
        response.total = funnel(total, group: AnalyticsGroupKey(), query)
        response.excludedOtherCurrencyCount = total.excluded
        return response
    }

    static let steps: [FunnelStep] = [.lead, .mql, .sql, .converted, .opportunity, .won]

    static func funnel(_ sums: Sums, group: AnalyticsGroupKey, _ query: AnalyticsQuery) -> FunnelRow {
        FunnelRow(
            group: group,
            steps: steps.indices.map { step in
                FunnelStepCount(
                    step: steps[step],
                    leadCount: sums.counts[step],
                    conversionFromPreviousBps: AnalyticsMath.bps(sums.counts[step], of: sums.counts[max(step - 1, 0)]),
                    conversionFromFirstBps: AnalyticsMath.bps(sums.counts[step], of: sums.counts[0]),
                    averageTimeFromPreviousMs: AnalyticsMath.mean(sums.timeSums[step], sums.timeCounts[step])
                )
            },
            wonAmount: query.money(sums.wonAmount)
        )
    }
}
