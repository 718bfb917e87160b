import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// GetDailyReportCompliance: per rep who owes daily reports (active reps and inside
/// sellers within the caller's reach), the working days of the period up to today —
/// the tenant's working weekdays minus its holidays — against the reports handed in:
/// on time (by the end of the report date plus the tenant's grace hours), approved,
/// returned, waiting, and the working days without one. SQL counts the reports per
/// owner; the dates' deadlines come in as one JSON object.
enum DailyReportComplianceQuery {
    static let groupings: Set<AnalyticsGrouping> = [.owner]
    static let maximumDays = 366

    /// The request's own checks: a bounded period is required; no pipeline or source.
    static func validate(_ request: GetDailyReportComplianceRequest, into validation: inout Validation) {
        let filter = request.filter ?? AnalyticsFilter()
        validation.check(!filter.fromDate.isEmpty, "filter.from_date", .required, "is required")
        validation.check(!filter.toDate.isEmpty, "filter.to_date", .required, "is required")
        // The span is bounded arithmetically, never by listing its days: this runs
        // before the dates' own checks, and a span over millennia would otherwise cost
        // millions of calendar steps. A malformed date fails its own check instead.
        if filter.fromDate.count == 10, filter.toDate.count == 10, let limit = TenantCalendar(timeZone: "UTC").date(filter.fromDate, plus: maximumDays - 1) {
            validation.check(filter.toDate <= limit, "filter.to_date", .outOfRange, "spans more than \(maximumDays) days")
        }
        validation.check(filter.pipelineId.isEmpty && filter.sources.isEmpty, "filter", .notAllowed, "daily reports have no pipeline or source")
    }

    /// The users who owe reports: active reps and inside sellers `access` (the
    /// daily-report read access) reaches, narrowed by the filter's owners and teams
    /// (their current members).
    static func reporters(_ access: RecordAccess, _ filter: AnalyticsFilter, teamMembers: [String], controlPlane: ControlPlane) async throws -> [String] {
        let users = try await controlPlane.listUsers(
            tenantID: access.tenantID, scope: .all, page: PageRequest(pageSize: Int32(PageRequest.maximumSize), pageToken: "", filter: ""),
            roles: [Role.rep.rawValue, Role.insideSales.rawValue], teamID: "", includeDeactivated: false, query: ""
        )
        return users.map(\.id).filter { id in
            access.contains(ownerUserID: id, createdByUserID: "")
                && (filter.ownerUserIds.isEmpty || filter.ownerUserIds.contains(id))
                && (filter.teamIds.isEmpty || teamMembers.contains(id))
        }.sorted()
    }

    /// The figures of `reporters` over the reports `reach` (the daily-report read
    /// access, narrower than the grant under the tenant's visibility) reads.
    static func run(_ db: Database, _ query: AnalyticsQuery, reach: RecordAccess, reporters: [String], settings: TenantSettings) throws -> GetDailyReportComplianceResponse {
        let today = query.calendar.today
        let last = min(query.filter.toDate, today)
        let days = query.filter.fromDate <= last ? query.calendar.dates(from: query.filter.fromDate, through: last) : []
        let holidays = Set(settings.holidays)
        let working = days.filter { settings.workingDays.contains($0.weekday) && !holidays.contains($0.date) }.map(\.date)
        let grace = Int64(settings.dailyReportGraceHours) * 3_600_000
        var deadlines: [String: Int64] = [:]
        for day in days { deadlines[day.date] = (query.calendar.bounds(of: day.date)?.endMs ?? 0) + grace }
        var reports = SQLConditions(reach.scope(DailyReport.self))
        reports.add("owner_user_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(reporters)])
        reports.add("report_date >= ? AND report_date <= ?", [query.filter.fromDate, last])
        let (submitted, approved, returned) = (DailyReportStatus.submitted.rawValue, DailyReportStatus.approved.rawValue, DailyReportStatus.returned.rawValue)
        let sql = """
            SELECT owner_user_id, sum(submit_time_ms > 0),
                sum(submit_time_ms > 0 AND submit_time_ms < coalesce(json_extract(?, '$."' || report_date || '"'), 0)),
                sum(status = \(approved)), sum(status = \(returned)), sum(status = \(submitted)),
                sum(submit_time_ms > 0 AND report_date IN (SELECT value FROM json_each(?)))
            FROM daily_report WHERE \(reports.sql)
            GROUP BY owner_user_id
            """
        let deadlineJSON = String(decoding: try JSONEncoder().encode(deadlines), as: UTF8.self)
        let arguments: StatementArguments = [deadlineJSON, SQLJSON.array(working)] + reports.arguments
        var counted: [String: Row] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) { counted[row[0]] = row }
        var response = GetDailyReportComplianceResponse()
        var total = DailyReportCompliance()
        for user in reporters {
            var figures = DailyReportCompliance(ownerUserId: user, workingDayCount: Int64(working.count), missingCount: Int64(working.count))
            if let row = counted[user] {
                (figures.submittedCount, figures.onTimeCount, figures.approvedCount) = (row[1], row[2], row[3])
                (figures.returnedCount, figures.pendingCount) = (row[4], row[5])
                figures.missingCount -= row[6] as Int64
            }
            total.workingDayCount += figures.workingDayCount
            total.submittedCount += figures.submittedCount
            total.onTimeCount += figures.onTimeCount
            total.approvedCount += figures.approvedCount
            total.returnedCount += figures.returnedCount
            total.pendingCount += figures.pendingCount
            total.missingCount += figures.missingCount
            response.rows.append(rated(figures))
        }
        response.total = rated(total)
        return response
    }

    private static func rated(_ figures: DailyReportCompliance) -> DailyReportCompliance {
        var rated = figures
        rated.submissionRateBps = AnalyticsMath.bps(figures.workingDayCount - figures.missingCount, of: figures.workingDayCount)
        rated.onTimeRateBps = AnalyticsMath.bps(figures.onTimeCount, of: figures.submittedCount)
        return rated
    }
}
