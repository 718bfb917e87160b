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
        var responses: [String: (key: AnalyticsGroupKey, leads: Int64, times: [Int64])] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: group.arguments + leads.arguments) {
            let value: DatabaseValue = row[0]
            var entry = responses[value.description] ?? (query.key(value), 0, [])
            entry.leads += 1
            if let time = row[1] as Int64? { entry.times.append(time) }
            responses[value.description] = entry
        }
        var response = GetSpeedToLeadResponse()
        if query.filter.groupBy != .unspecified {
            response.rows = responses.values.sorted { $0.key.sortKey < $1.key.sortKey }.map { figures($0.key, leads: $0.leads, times: $0.times) }
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
