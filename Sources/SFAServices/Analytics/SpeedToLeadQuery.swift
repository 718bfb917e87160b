import GRDB
import SFAStubs

/// GetSpeedToLead: the leads created in the period and, per lead, its first touch —
/// the earliest done activity or consultation on it at or after its creation, among
/// those the caller may read (`activity_lead_touch`, `consultation_lead_touch`) —
/// found in SQL; Swift adds up the per-lead response times per group (mean, median,
/// within an hour, within a day).
enum SpeedToLeadQuery {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    static func run(_ db: Database, _ query: AnalyticsQuery) throws -> GetSpeedToLeadResponse {
        let leads = try query.leads()
        let group = try query.group(.time("create_time_ms"))
        var activities = SQLConditions(query.access.scope(Activity.self))
        activities.add("archived = 0 AND lead_id = l.id AND state = \(ActivityState.done.rawValue) AND activity_time_ms >= l.create_time_ms")
        var consultations = SQLConditions(query.access.scope(Consultation.self))
        consultations.add("archived = 0 AND lead_id = l.id AND start_time_ms >= l.create_time_ms")
        let sql = """
            SELECT grp, min(coalesce(activity, consultation), coalesce(consultation, activity)) - create_time_ms FROM (
                SELECT \(group.sql) AS grp, l.create_time_ms,
                    (SELECT min(activity_time_ms) FROM activity WHERE \(activities.sql)) AS activity,
                    (SELECT min(start_time_ms) FROM consultation WHERE \(consultations.sql)) AS consultation
                FROM (SELECT id, create_time_ms, owner_user_id, source FROM lead WHERE \(leads.sql)) l
            )
            """
        let arguments = group.arguments + activities.arguments + consultations.arguments + leads.arguments
        var responses: [String: (key: AnalyticsGroupKey, leads: Int64, times: [Int64])] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
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
