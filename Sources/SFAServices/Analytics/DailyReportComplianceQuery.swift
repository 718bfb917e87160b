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

    /// A user who owes reports, and since when (its creation: no day before it is owed).
    struct Reporter: Sendable {
        let id: String
        let createTimeMs: Int64
    }

    /// The users who owe reports: active reps and inside sellers `access` (the
    /// daily-report read access) reaches, narrowed by the filter's owners and teams
    /// (their current members). Every page of the tenant's users is read: a reporter
    /// past the first page owes reports as much as one on it.
    static func reporters(_ access: RecordAccess, _ filter: AnalyticsFilter, teamMembers: [String], controlPlane: ControlPlane) async throws -> [Reporter] {
        var users: [UserRow] = []
        var token = ""
        repeat {
            let page = try PageRequest(pageSize: Int32(PageRequest.maximumSize), pageToken: token, filter: "")
            let found = try await controlPlane.listUsers(
                tenantID: access.tenantID, scope: .all, page: page,
                roles: [Role.rep.rawValue, Role.insideSales.rawValue], teamID: "", includeDeactivated: false, query: ""
            )
            users += found
            token = page.nextToken(lastID: found.last?.id, count: found.count)
        } while !token.isEmpty
        return users.filter { user in
            access.contains(ownerUserID: user.id, createdByUserID: "")
                && (filter.ownerUserIds.isEmpty || filter.ownerUserIds.contains(user.id))
                && (filter.teamIds.isEmpty || teamMembers.contains(user.id))
        }.map { Reporter(id: $0.id, createTimeMs: $0.createTimeMs) }.sorted { $0.id < $1.id }
    }

    /// The figures of `reporters` over the reports `reach` (the daily-report read
    /// access, narrower than the grant under the tenant's visibility) reads. A
    /// reporter owes the working days from the day it was created on.
    static func run(_ db: Database, _ query: AnalyticsQuery, reach: RecordAccess, reporters: [Reporter], settings: TenantSettings) throws -> GetDailyReportComplianceResponse {
        let today = query.calendar.today
        let last = min(query.filter.toDate, today)
        let days = query.filter.fromDate <= last ? query.calendar.dates(from: query.filter.fromDate, through: last) : []
        let holidays = Set(settings.holidays)
        let working = days.filter { settings.workingDays.contains($0.weekday) && !holidays.contains($0.date) }.map(\.date)
        let grace = Int64(settings.dailyReportGraceHours) * 3_600_000
        var deadlines: [String: Int64] = [:]
        for day in days { deadlines[day.date] = (query.calendar.bounds(of: day.date)?.endMs ?? 0) + grace }
        var reports = SQLConditions(reach.scope(DailyReport.self))
        let owedFrom = Dictionary(uniqueKeysWithValues: reporters.map { ($0.id, query.calendar.date(ofMs: $0.createTimeMs)) })
        reports.add("owner_user_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(reporters.map(\.id))])
        reports.add("report_date >= ? AND report_date <= ?", [query.filter.fromDate, last])
        let (submitted, approved, returned) = (DailyReportStatus.submitted.rawValue, DailyReportStatus.approved.rawValue, DailyReportStatus.returned.rawValue)
        let sql = """
            SELECT owner_user_id, sum(submit_time_ms > 0),
                sum(submit_time_ms > 0 AND submit_time_ms < coalesce(json_extract(?, '$."' || report_date || '"'), 0)),
                sum(status = \(approved)), sum(status = \(returned)), sum(status = \(submitted)),
                sum(submit_time_ms > 0 AND report_date IN (SELECT value FROM json_each(?))
                    AND report_date >= coalesce(json_extract(?, '$."' || owner_user_id || '"'), ''))
            FROM daily_report WHERE \(reports.sql)
            GROUP BY owner_user_id
            """
        let deadlineJSON = String(decoding: try JSONEncoder().encode(deadlines), as: UTF8.self)
        let owedFromJSON = String(decoding: try JSONEncoder().encode(owedFrom), as: UTF8.self)
        let arguments: StatementArguments = [deadlineJSON, SQLJSON.array(working), owedFromJSON] + reports.arguments
        var counted: [String: Row] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) { counted[row[0]] = row }
        var response = GetDailyReportComplianceResponse()
        var total = DailyReportCompliance()
        for reporter in reporters {
            let owed = Int64(working.filter { $0 >= owedFrom[reporter.id, default: ""] }.count)
            var figures = DailyReportCompliance(ownerUserId: reporter.id, workingDayCount: owed, missingCount: owed)
            if let row = counted[reporter.id] {
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
