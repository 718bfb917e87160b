import GRDB
import SFAStubs

/// GetActivityKpis: per owner and day, week or month, the owned activities (not
/// those the owner only attended) by state and kind, the done calls and connected
/// ones, the time spent, and the consultations held — summed in SQL over the date
/// columns, so the covering index `activity_date_figures` (tenant-wide) or
/// `activity_owner_figures` (a rep, a team) serves it without reading records.
enum ActivityKpisQuery {
    static let groupings: Set<AnalyticsGrouping> = [.owner]

    /// The longest period: a year; days are listed for at most a quarter.
    static let maximumDays = 366
    static let maximumDaysByDay = 92

    /// One row's sums: done per kind, and the rest.
    struct Sums {
        var done: [ActivityKind: Int64] = [:]
        var planned: Int64 = 0
        var cancelled: Int64 = 0
        var calls: Int64 = 0
        var connected: Int64 = 0
        var timeSpent: Int64 = 0
        var consultations: Int64 = 0

        static func += (total: inout Sums, sums: Sums) {
            total.done.merge(sums.done, uniquingKeysWith: +)
            total.planned += sums.planned
            total.cancelled += sums.cancelled
            total.calls += sums.calls
            total.connected += sums.connected
            total.timeSpent += sums.timeSpent
            total.consultations += sums.consultations
        }
    }

    /// The request's own checks: a bounded period is required; no pipeline or source.
    static func validate(_ request: GetActivityKpisRequest, into validation: inout Validation) {
        let filter = request.filter ?? AnalyticsFilter()
        validation.known(request.interval, "interval", required: false)
        validation.check(!filter.fromDate.isEmpty, "filter.from_date", .required, "is required")
        validation.check(!filter.toDate.isEmpty, "filter.to_date", .required, "is required")
        let days = TenantCalendar(timeZone: "UTC").dates(from: filter.fromDate, through: filter.toDate).count
        let limit = request.interval == .week || request.interval == .month ? maximumDays : maximumDaysByDay
        validation.check(days <= limit, "filter.to_date", .outOfRange, "spans more than \(limit) days")
        validation.check(filter.pipelineId.isEmpty && filter.sources.isEmpty, "filter", .notAllowed, "activities have no pipeline or source")
    }

    static func run(_ db: Database, _ query: AnalyticsQuery, interval: ActivityInterval) throws -> GetActivityKpisResponse {
        var activities = query.owned(Activity.self)
        activities.add("archived = 0")
        try query.period(.date("activity_date"), into: &activities)
        var consultations = query.owned(Consultation.self)
        consultations.add("archived = 0")
        try query.period(.date("consultation_date"), into: &consultations)
        let (done, planned, cancelled) = (ActivityState.done.rawValue, ActivityState.planned.rawValue, ActivityState.cancelled.rawValue)
        // Per day first, in the covering index's order (no sort of the activities),
        // then per week or month over those few rows.
        let sql = """
            SELECT owner_user_id, \(start("activity_date", interval)) AS period, kind, sum(done), sum(planned), sum(cancelled),
                sum(connected), sum(spent), 0
            FROM (
                SELECT activity_date, owner_user_id, kind, sum(state = \(done)) AS done, sum(state = \(planned)) AS planned,
                    sum(state = \(cancelled)) AS cancelled,
                    sum(state = \(done) AND kind = \(ActivityKind.call.rawValue) AND call_result = \(CallResult.connected.rawValue)) AS connected,
                    sum(CASE WHEN state = \(done) THEN duration_ms ELSE 0 END) AS spent
                FROM activity WHERE \(activities.sql)
                GROUP BY activity_date, owner_user_id, kind
            )
            GROUP BY owner_user_id, period, kind
            UNION ALL
            SELECT owner_user_id, \(start("consultation_date", interval)) AS period, 0, 0, 0, 0, 0, 0, count(*)
            FROM consultation WHERE \(consultations.sql)
            GROUP BY owner_user_id, period
            """
        var rows: [String: [String: Sums]] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: activities.arguments + consultations.arguments) {
            let kind = ActivityKind(rawValue: row[2])
            var sums = Sums()
            if kind != .unspecified, row[3] as Int64 > 0 { sums.done[kind] = row[3] }
            (sums.planned, sums.cancelled, sums.connected, sums.timeSpent, sums.consultations) = (row[4], row[5], row[6], row[7], row[8])
            if kind == .call { sums.calls = row[3] }
            rows[row[0] as String, default: [:]][row[1] as String, default: Sums()] += sums
        }
        var response = GetActivityKpisResponse()
        var total = Sums()
        for (owner, periods) in rows.sorted(by: { $0.key < $1.key }) {
            for (start, sums) in periods.sorted(by: { $0.key < $1.key }) {
                total += sums
                response.rows.append(kpis(sums, owner: owner, start: start))
            }
        }
        response.total = kpis(total, owner: "", start: "")
        return response
    }

    /// The first day of the interval holding the date in `column`: itself, the Monday
    /// on or before it, or the first of its month (dates are the tenant's already).
    private static func start(_ column: String, _ interval: ActivityInterval) -> String {
        switch interval {
        case .week: "date(\(column), '-6 days', 'weekday 1')"
        case .month: "substr(\(column), 1, 7) || '-01'"
        default: column
        }
    }

    private static func kpis(_ sums: Sums, owner: String, start: String) -> ActivityKpis {
        ActivityKpis(
            ownerUserId: owner,
            periodStart: start,
            doneByKind: sums.done.sorted { $0.key.rawValue < $1.key.rawValue }.map { ActivityKindCount(kind: $0.key, count: $0.value) },
            doneCount: sums.done.values.reduce(0, +),
            plannedCount: sums.planned,
            cancelledCount: sums.cancelled,
            consultationCount: sums.consultations,
            callCount: sums.calls,
            connectedCallCount: sums.connected,
            callConnectRateBps: AnalyticsMath.bps(sums.connected, of: sums.calls),
            timeSpentMs: sums.timeSpent
        )
    }
}
