import GRDB
import SFAStubs

/// GetStalledDeals: the open deals with at least one sign of stalling — inactive
/// (no done activity or consultation for the inactivity limit, counted from the later
/// of the last one and the deal's creation), past their expected close date, with no
/// planned activity, or with the close date pushed later repeatedly — counted per
/// group, and the stalest listed. One statement over `opportunity_stall_figures`:
/// the activity times and push count are the deal's own derived columns.
enum StalledDealsQuery {
    /// Pushed repeatedly: at least this many pushes unless the request says.
    static let defaultPushes: Int32 = 2
    static let defaultDealLimit: Int32 = 100

    static func validate(_ request: GetStalledDealsRequest, into validation: inout Validation) {
        validation.check((0...3650).contains(request.inactiveDays), "inactive_days", .outOfRange, "must be 0 (the stage's rotting days) to 3650")
        validation.check((0...100).contains(request.minimumCloseDatePushes), "minimum_close_date_pushes", .outOfRange, "must be 0 (2) to 100")
        validation.check((0...1000).contains(request.dealLimit), "deal_limit", .outOfRange, "must be 0 (100) to 1000")
    }

    static func run(_ db: Database, _ query: AnalyticsQuery, _ request: GetStalledDealsRequest, tenantDays: Int32) throws -> GetStalledDealsResponse {
        let period = AnalyticsQuery.Period.date("expected_close_date")
        var deals = try query.deals(period)
        deals.add("state = ?", [OpportunityState.open.rawValue])
        let group = try query.group(period)
        let days = try limitDays(db, request.inactiveDays, tenantDays: tenantDays)
        let pushes = request.minimumCloseDatePushes > 0 ? request.minimumCloseDatePushes : defaultPushes
        let limit = request.dealLimit > 0 ? request.dealLimit : defaultDealLimit
        let sql = """
            WITH open AS (
                SELECT grp, id, owner_user_id, pipeline_id, stage_id, amount_currency, amount_minor, expected_close_date,
                    last_activity_time_ms, next_activity_time_ms, close_date_push_count, since,
                    since < ? - days * 86400000 AS inactive, expected_close_date < ? AS past_due,
                    next_activity_time_ms = 0 AS no_next, close_date_push_count >= ? AS pushed
                FROM (
                    SELECT \(group.sql) AS grp, id, owner_user_id, pipeline_id, stage_id, amount_currency, amount_minor, expected_close_date,
                        last_activity_time_ms, next_activity_time_ms, close_date_push_count,
                        max(last_activity_time_ms, create_time_ms) AS since, \(days.sql) AS days
                    FROM opportunity WHERE \(deals.sql)
                )
            ),
            stalled AS (SELECT * FROM open WHERE inactive OR past_due OR no_next OR pushed)
            SELECT 0, grp, count(*), 0, 0, 0, 0, 0, sum(amount_currency != ?), 0, 0, 0, 0, 0, 0, 0 FROM open GROUP BY grp
            UNION ALL
            SELECT 1, grp, count(*), sum(CASE WHEN amount_currency = ? THEN amount_minor ELSE 0 END), sum(inactive), sum(past_due),
                sum(no_next), sum(pushed), 0, 0, 0, 0, 0, 0, 0, 0
            FROM stalled GROUP BY grp
            UNION ALL
            SELECT * FROM (
                SELECT 2, id, owner_user_id, pipeline_id, stage_id, amount_currency, amount_minor, expected_close_date,
                    last_activity_time_ms, next_activity_time_ms, close_date_push_count, since, inactive, past_due, no_next, pushed
                FROM stalled ORDER BY since, id LIMIT ?
            )
            """
        // In the order of the text.
        let arguments: StatementArguments = [query.now, query.calendar.today, pushes] + group.arguments + days.arguments + deals.arguments
            + [query.currency, query.currency, limit]
        var summaries: [String: StalledDealsSummary] = [:]
        var total = StalledDealsSummary(group: AnalyticsGroupKey(), stalledAmount: query.money(0))
        var response = GetStalledDealsResponse()
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let part: Int = row[0]
            if part == 2 {
                response.deals.append(deal(row, now: query.now))
                continue
            }
            let value: DatabaseValue = row[1]
            var summary = summaries[value.description] ?? StalledDealsSummary(group: query.key(value), stalledAmount: query.money(0))
            if part == 0 {
                summary.openCount = row[2]
                total.openCount += row[2] as Int64
                response.excludedOtherCurrencyCount += row[8] as Int64
            } else {
                let sums: [Int64] = (2...7).map { row[$0] }
                (summary.stalledCount, summary.inactiveCount, summary.pastDueCount) = (sums[0], sums[2], sums[3])
                (summary.noNextActivityCount, summary.closeDatePushedCount) = (sums[4], sums[5])
                summary.stalledAmount = query.money(sums[1])
                total.stalledCount += sums[0]
                total.stalledAmount = query.money((total.stalledAmount?.amountMinor ?? 0) + sums[1])
                total.inactiveCount += sums[2]
                total.pastDueCount += sums[3]
                total.noNextActivityCount += sums[4]
                total.closeDatePushedCount += sums[5]
            }
            summaries[value.description] = summary
        }
        if query.filter.groupBy != .unspecified {
            response.rows = summaries.values.sorted { ($0.group?.sortKey ?? "") < ($1.group?.sortKey ?? "") }
        }
        response.total = total
        return response
    }

    /// The inactivity limit in days per deal: the request's, else its stage's rotting
    /// days, else the tenant's `stalled_deal_days` (one CASE over the tenant's stages).
    private static func limitDays(_ db: Database, _ requested: Int32, tenantDays: Int32) throws -> SQLConditions.Fragment {
        guard requested == 0 else { return ("?", [requested]) }
        var sql = "CASE stage_id"
        var arguments: StatementArguments = []
        for (id, stage) in try AnalyticsStages(db).byID.sorted(by: { $0.key < $1.key }) where stage.stage.rottingDays > 0 {
            sql += " WHEN ? THEN ?"
            arguments += [id, stage.stage.rottingDays]
        }
        // A CASE needs a WHEN: without rotting stages the tenant's days apply to all.
        return arguments.isEmpty ? ("?", [tenantDays]) : (sql + " ELSE ? END", arguments + [tenantDays])
    }

    private static func deal(_ row: Row, now: Int64) -> StalledDeal {
        let flags: [(Int, StalledReason)] = [(12, .inactive), (13, .pastDue), (14, .noNextActivity), (15, .closeDatePushed)]
        return StalledDeal(
            opportunityId: row[1],
            ownerUserId: row[2],
            pipelineId: row[3],
            stageId: row[4],
            amount: Money(currencyCode: row[5], amountMinor: row[6]),
            expectedCloseDate: row[7],
            lastActivityTimeMs: row[8],
            nextActivityTimeMs: row[9],
            inactiveDays: Int32((now - (row[11] as Int64)) / 86_400_000),
            closeDatePushCount: row[10],
            reasons: flags.filter { row[$0.0] as Bool }.map(\.1)
        )
    }
}
