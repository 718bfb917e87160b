import GRDB
import SFAStubs

/// GetSpeedToLead: the leads created in the period with their first touch (the
/// lead's derived `first_touch_time_ms`), read from the covering index
/// `lead_touch_figures`; Swift adds up the per-lead response times per group (mean,
/// median, within an hour, within a day).
enum SpeedToLeadQuery {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    static func run(_ db: Database, _ query: AnalyticsQuery) throws -> GetSpeedToLeadResponse {
        let leads = try query.leads()
        let group = try query.group(.time("create_time_ms"))
        let sql = """
            SELECT \(group.sql) AS grp, CASE WHEN first_touch_time_ms > 0 THEN first_touch_time_ms - create_time_ms END
            FROM lead WHERE \(leads.sql)
            """
        // Per group value, updated in place: the leads, and the contacted ones' times.
        var responses: [DatabaseValue: (leads: Int64, times: [Int64])] = [:]
        let rows = try Row.fetchCursor(db, sql: sql, arguments: group.arguments + leads.arguments)
        while let row = try rows.next() {
            let time = row[1] as Int64?
            responses.update(row[0] as DatabaseValue, default: (0, [])) { entry in
                entry.leads += 1
                if let time { entry.times.append(time) }
            }
        }
        var response = GetSpeedToLeadResponse()
        if query.filter.groupBy != .unspecified {
            response.rows = responses.map { figures(query.key($0.key), leads: $0.value.leads, times: $0.value.times) }
                .sorted { ($0.group?.sortKey ?? "") < ($1.group?.sortKey ?? "") }
        }
        response.total = figures(AnalyticsGroupKey(), leads: responses.values.map(\.leads).reduce(0, +), times: responses.values.flatMap(\.times))
        return response
    }

    private static func figures(_ key: AnalyticsGroupKey, leads: Int64, times: [Int64]) -> SpeedToLead {
        let sorted = times.sorted()
        let count = Int64(sorted.count)
        let median = sorted.isEmpty ? 0 : AnalyticsMath.mean(sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2], 2)
        return SpeedToLead(
            group: key,
            leadCount: leads,
            contactedCount: count,
            contactedRateBps: AnalyticsMath.bps(count, of: leads),
            averageResponseMs: AnalyticsMath.mean(sorted.reduce(0, +), count),
            medianResponseMs: median,
            withinHourCount: Int64(sorted.prefix { $0 <= hour }.count),
            withinDayCount: Int64(sorted.prefix { $0 <= day }.count)
        )
    }
}
