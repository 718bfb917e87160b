import GRDB
import SFAStubs

/// GetQuoteKpis: the quotes created in the period that went past draft (submitted or
/// presented), per group and in total — mean and amount-weighted discount, approval
/// turnaround (submission → decision), and the share of their deals that were won
/// (each quote's deal looked up by id through the caller's scope, in the covering
/// index `opportunity_by_id_figures`: a deal the caller may not read, or archived,
/// is neither quoted nor won, so `won` is NULL for it). The total is its
/// own SQL arm: a deal quoted by two owners counts once in it.
enum QuoteKpisQuery {
    /// Quotes keep their owner and the team stamped on them; no pipeline or source.
    static let groupings: Set<AnalyticsGrouping> = [.owner, .team, .month]

    static func validate(_ request: GetQuoteKpisRequest, into validation: inout Validation) {
        let filter = request.filter ?? AnalyticsFilter()
        validation.check(filter.pipelineId.isEmpty && filter.sources.isEmpty, "filter", .notAllowed, "quotes are not filtered by pipeline or source")
    }

    static func run(_ db: Database, _ query: AnalyticsQuery) throws -> GetQuoteKpisResponse {
        let period = AnalyticsQuery.Period.time("create_time_ms")
        var quotes = SQLConditions(query.access.scope(Quote.self))
        quotes.add("(submit_time_ms > 0 OR present_time_ms > 0)")
        let filter = query.filter
        if !filter.ownerUserIds.isEmpty { quotes.add("owner_user_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(filter.ownerUserIds)]) }
        if !filter.teamIds.isEmpty { quotes.add("team_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(filter.teamIds)]) }
        try query.period(period, into: &quotes)
        let group = try query.group(period)
        let deals = query.joinedDeals()
        func figures(_ key: String) -> String {
            """
            SELECT \(key), count(*), sum(q.effective_discount_bps),
                sum(CASE WHEN q.amount_currency = p.currency THEN q.subtotal_minor ELSE 0 END),
                sum(CASE WHEN q.amount_currency = p.currency THEN q.discount_minor ELSE 0 END),
                sum(q.requires_approval), sum(q.decided), sum(CASE WHEN q.decided THEN q.approval_decision_time_ms - q.submit_time_ms ELSE 0 END),
                count(DISTINCT CASE WHEN q.won IS NOT NULL THEN q.opportunity_id END), count(DISTINCT CASE WHEN q.won THEN q.opportunity_id END),
                sum(q.amount_currency != p.currency)
            FROM p, q
            """
        }
        // The currency first: every later parameter is numbered after it.
        let sql = """
            WITH p(currency) AS (SELECT ?),
            q AS (
                SELECT \(group.sql) AS grp, opportunity_id, amount_currency, subtotal_minor, discount_minor, effective_discount_bps,
                    requires_approval, submit_time_ms, approval_decision_time_ms,
                    requires_approval AND approval_decision_time_ms > 0 AND submit_time_ms > 0 AS decided,
                    (SELECT state = \(OpportunityState.won.rawValue) FROM opportunity o INDEXED BY opportunity_by_id_figures
                        WHERE o.id = quote.opportunity_id AND \(deals.sql)) AS won
                FROM quote WHERE \(quotes.sql)
            )
            \(figures("1, q.grp")) GROUP BY q.grp
            UNION ALL
            \(figures("0, ''"))
            """
        let arguments: StatementArguments = [query.currency] + group.arguments + deals.arguments + quotes.arguments
        var response = GetQuoteKpisResponse()
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let grouped: Bool = row[0]
            let kpis = self.kpis(row, group: grouped ? query.key(row[1]) : AnalyticsGroupKey(), query)
            if !grouped {
                response.total = kpis
            } else if filter.groupBy != .unspecified {
                response.rows.append(kpis)
            }
        }
        response.rows.sort { ($0.group?.sortKey ?? "") < ($1.group?.sortKey ?? "") }
        return response
    }

    private static func kpis(_ row: Row, group: AnalyticsGroupKey, _ query: AnalyticsQuery) -> QuoteKpis {
        let count = row[2] as Int64? ?? 0
        let (subtotal, discount) = (row[4] as Int64? ?? 0, row[5] as Int64? ?? 0)
        let (decided, quoted, won) = (row[7] as Int64? ?? 0, row[9] as Int64? ?? 0, row[10] as Int64? ?? 0)
        return QuoteKpis(
            group: group,
            quoteCount: count,
            averageDiscountBps: Int32(AnalyticsMath.mean(row[3] as Int64? ?? 0, count)),
            subtotal: query.money(subtotal),
            discountTotal: query.money(discount),
            weightedDiscountBps: AnalyticsMath.bps(discount, of: subtotal),
            approvalRequiredCount: row[6] as Int64? ?? 0,
            approvalDecidedCount: decided,
            averageApprovalTurnaroundMs: AnalyticsMath.mean(row[8] as Int64? ?? 0, decided),
            quotedDealCount: quoted,
            wonDealCount: won,
            quoteToWonBps: AnalyticsMath.bps(won, of: quoted),
            excludedOtherCurrencyCount: row[11] as Int64? ?? 0
        )
    }
}
