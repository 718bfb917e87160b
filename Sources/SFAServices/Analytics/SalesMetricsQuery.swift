import GRDB
import SFAStubs

/// GetSalesMetrics: win rate by count and by amount, average deal size, sales cycle
/// (deal created → won, and source lead created → won), sales velocity — per group
/// and in total. SQL sums and counts per group; each figure is then one exact
/// division (`AnalyticsMath`), so totals are the sums of the groups' sums. A won
/// deal's source lead is read by id from the covering index `lead_by_id_figures`.
enum SalesMetricsQuery {
    /// What SQL adds up per group.
    struct Sums {
        var won: Int64 = 0
        var lost: Int64 = 0
        var open: Int64 = 0
        var wonInCurrency: Int64 = 0
        var wonAmount: Int64 = 0
        var lostAmount: Int64 = 0
        var openAmount: Int64 = 0
        var cycleMs: Int64 = 0
        var leadToWonMs: Int64 = 0
        var leadToWon: Int64 = 0
        var excluded: Int64 = 0

        init() {}

        init(_ row: Row) {
            (won, lost, open, wonInCurrency) = (row[1], row[2], row[3], row[4])
            (wonAmount, lostAmount, openAmount) = (row[5], row[6], row[7])
            (cycleMs, leadToWonMs, leadToWon, excluded) = (row[8], row[9], row[10], row[11])
        }

        static func += (total: inout Sums, sums: Sums) {
            total.won += sums.won
            total.lost += sums.lost
            total.open += sums.open
            total.wonInCurrency += sums.wonInCurrency
            total.wonAmount += sums.wonAmount
            total.lostAmount += sums.lostAmount
            total.openAmount += sums.openAmount
            total.cycleMs += sums.cycleMs
            total.leadToWonMs += sums.leadToWonMs
            total.leadToWon += sums.leadToWon
            total.excluded += sums.excluded
        }
    }

    static func run(_ db: Database, _ query: AnalyticsQuery) throws -> GetSalesMetricsResponse {
        // The effective close date: the actual one once closed, the expected one while open.
        let period = AnalyticsQuery.Period.date("close_date")
        let deals = try query.deals(period)
        let leads = query.joinedLeads()
        let group = try query.group(period)
        let (won, lost, open) = (OpportunityState.won.rawValue, OpportunityState.lost.rawValue, OpportunityState.open.rawValue)
        let sql = """
            SELECT o.grp, sum(o.state = \(won)), sum(o.state = \(lost)), sum(o.state = \(open)),
                sum(o.state = \(won) AND o.amount_currency = ?1),
                sum(CASE WHEN o.state = \(won) AND o.amount_currency = ?1 THEN o.amount_minor ELSE 0 END),
                sum(CASE WHEN o.state = \(lost) AND o.amount_currency = ?1 THEN o.amount_minor ELSE 0 END),
                sum(CASE WHEN o.state = \(open) AND o.amount_currency = ?1 THEN o.amount_minor ELSE 0 END),
                sum(CASE WHEN o.state = \(won) THEN o.closed_time_ms - o.create_time_ms ELSE 0 END),
                sum(CASE WHEN l.id IS NOT NULL THEN o.closed_time_ms - l.create_time_ms ELSE 0 END),
                count(l.id),
                sum(o.amount_currency != ?1)
            FROM (SELECT \(group.sql) AS grp, state, amount_currency, amount_minor, closed_time_ms, create_time_ms, source_lead_id
                  FROM opportunity WHERE \(deals.sql)) o
            LEFT JOIN (SELECT id, create_time_ms FROM lead INDEXED BY lead_by_id_figures WHERE \(leads.sql)) l
                ON l.id = o.source_lead_id AND o.state = \(won)
            GROUP BY o.grp ORDER BY o.grp
            """
        let arguments: StatementArguments = [query.currency] + group.arguments + deals.arguments + leads.arguments
        var response = GetSalesMetricsResponse()
        var total = Sums()
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let sums = Sums(row)
            total += sums
            if query.filter.groupBy != .unspecified { response.rows.append(try metrics(sums, group: query.key(row[0]), query)) }
        }
        response.total = try metrics(total, group: AnalyticsGroupKey(), query)
        response.excludedOtherCurrencyCount = total.excluded
        return response
    }

    /// The figures of `sums`. Velocity = open × (won amount / won in currency) ×
    /// (won / closed) ÷ (cycle ms / won / 86,400,000), rearranged into one division.
    static func metrics(_ sums: Sums, group: AnalyticsGroupKey, _ query: AnalyticsQuery) throws -> SalesMetrics {
        let closed = sums.won + sums.lost
        let velocity = try AnalyticsMath.ratio(
            [sums.open, sums.wonAmount, sums.won, sums.won, 86_400_000],
            over: [sums.wonInCurrency, closed, sums.cycleMs],
            field: "sales_velocity_per_day"
        )
        return SalesMetrics(
            group: group,
            wonCount: sums.won,
            lostCount: sums.lost,
            openCount: sums.open,
            wonAmount: query.money(sums.wonAmount),
            lostAmount: query.money(sums.lostAmount),
            openAmount: query.money(sums.openAmount),
            winRateBps: AnalyticsMath.bps(sums.won, of: closed),
            winRateByAmountBps: AnalyticsMath.bps(sums.wonAmount, of: sums.wonAmount + sums.lostAmount),
            averageDealSize: query.money(AnalyticsMath.mean(sums.wonAmount, sums.wonInCurrency)),
            averageSalesCycleMs: AnalyticsMath.mean(sums.cycleMs, sums.won),
            averageLeadToWonMs: AnalyticsMath.mean(sums.leadToWonMs, sums.leadToWon),
            leadToWonCount: sums.leadToWon,
            salesVelocityPerDay: query.money(velocity)
        )
    }
}
