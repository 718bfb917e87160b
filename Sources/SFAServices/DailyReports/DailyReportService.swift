import Foundation
import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.DailyReportService`: one report (日報 / 일일 보고서) per seller per
/// working day, built from the day's activities and consultations; submitted
/// (locked) to a designated approver who approves it or returns it with a comment.
/// Writers work only their own reports; who reads colleagues' reports is the
/// tenant's `daily_report_visibility`.
public struct DailyReportService: DailyReportServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    /// Creates the caller's draft for a date (today in the tenant's time zone when
    /// empty), with the day's content linked; ALREADY_EXISTS when it has one.
    public func createDailyReport(_ request: CreateDailyReportRequest, context: ServerContext) async throws -> DailyReport {
        let access = try await store.access(context)
        var proposed = try DailyReport.proposed(request.dailyReport)
        proposed.status = .draft
        return try await store.create(proposed, access: access, context: context, request: request) { db, report in
            if report.reportDate.isEmpty { report.reportDate = TenantCalendar(timeZone: try SettingsRecords.load(db).timeZone).today }
            let taken = try db.cachedStatement(sql: "SELECT 1 FROM daily_report WHERE owner_user_id = ? AND report_date = ?")
            guard try Bool.fetchOne(taken, arguments: [report.ownerUserId, report.reportDate]) == nil else {
                throw StorageError.alreadyExists(kind: "daily_report", field: "daily_report.report_date")
            }
            try DailyReportRecords.link(db, &report)
        }
    }

    /// The report with its activities (done, and planned as not done), consultations
    /// and thread, in one answer.
    public func getDailyReport(_ request: GetDailyReportRequest, context: ServerContext) async throws -> DailyReportView {
        let access = try await store.dailyReportReadAccess(context)
        let report = try await store.get(DailyReport.self, id: request.id, access: access)
        return try await store.read(access) { db in
            DailyReportView(
                dailyReport: report,
                activities: try RecordRows.findAll(db, Activity.self, ids: report.activityIds),
                plannedActivities: try RecordRows.findAll(db, Activity.self, ids: report.plannedActivityIds),
                consultations: try RecordRows.findAll(db, Consultation.self, ids: report.consultationIds),
                comments: try DailyReportRecords.comments(db, reportID: report.id, after: "", limit: 200)
            )
        }
    }

    /// Edits a draft or returned report (RECORD_LOCKED otherwise); its content is
    /// linked again.
    public func updateDailyReport(_ request: UpdateDailyReportRequest, context: ServerContext) async throws -> DailyReport {
        let mask = try UpdateMask<DailyReport>(request.updateMask, updatable: DailyReport.updatable, prefix: "daily_report")
        return try await store.update(request.dailyReport ?? DailyReport(), mask: mask, access: try await store.access(context), context: context, request: request) {
            db, before, after in
            guard before.isEditable else {
                throw StorageError.failedPrecondition(reason: "RECORD_LOCKED", message: "the report is \(before.status); only a draft or returned report is edited")
            }
            try DailyReportRecords.link(db, &after)
        }
    }

    public func listDailyReports(_ request: ListDailyReportsRequest, context: ServerContext) async throws -> ListDailyReportsResponse {
        let access = try await store.dailyReportReadAccess(context)
        var validation = Validation()
        validation.references(["owner_user_id": request.ownerUserId, "team_id": request.teamId, "approver_user_id": request.approverUserId])
        validation.bounded(request.statuses.count, "statuses")
        validation.dateRange(request.reportDateRange, "report_date_range")
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy, orders: DailyReport.orders)
        var query = RecordQuery<DailyReport>()
        query.equals("owner_user_id", request.ownerUserId)
        query.equals("team_id", request.teamId)
        query.equals("approver_user_id", request.approverUserId)
        query.anyOf("status", request.statuses)
        query.within("report_date", dates: request.reportDateRange)
        let (reports, next) = try await store.list(DailyReport.self, query, page: page, access: access)
        return ListDailyReportsResponse(dailyReports: reports, nextPageToken: next)
    }

    /// Submits a draft or returned report: links the day's content, locks it and what
    /// it covers, and designates the approver — the owner's manager, else its team's
    /// manager, else a tenant admin, never the owner.
    public func submitDailyReport(_ request: SubmitDailyReportRequest, context: ServerContext) async throws -> DailyReport {
        let access = try await store.access(context)
        let owner = try await store.controlPlane.user(access.principal.userID, tenantID: access.tenantID)
        let manager = owner.managerUserID.isEmpty ? nil : try? await store.controlPlane.user(owner.managerUserID, tenantID: access.tenantID)
        let admins = try await store.controlPlane.listUsers(
            tenantID: access.tenantID, scope: .all, page: PageRequest(pageSize: 500, pageToken: "", filter: ""),
            roles: [Role.admin.rawValue], teamID: "", includeDeactivated: false, query: ""
        ).map(\.id)
        let activeManager = manager?.status == UserStatus.active.rawValue ? manager?.id : nil
        return try await store.modify(DailyReport.self, id: request.id, version: request.version, action: .stateChange, access: access, context: context, request: request) {
            db, before, after in
            guard before.isEditable else { throw Self.invalidTransition(before, "submitted") }
            let teamManager = try RecordRows.find(db, Team.self, id: before.teamId).flatMap { $0.archived ? nil : $0.managerUserId }
            guard let approver = [activeManager, teamManager].compactMap({ $0 }).first(where: { !$0.isEmpty && $0 != before.ownerUserId })
                ?? admins.first(where: { $0 != before.ownerUserId })
            else {
                throw StorageError.failedPrecondition(reason: "NO_APPROVER", message: "no manager or other admin can approve this report")
            }
            after.status = .submitted
            after.submitTimeMs = nowMs()
            after.approverUserId = approver
            try DailyReportRecords.link(db, &after)
            try DailyReportRecords.cover(db, after)
        }
    }

    /// The owner takes back a submitted report before the approver decides.
    public func recallDailyReport(_ request: RecallDailyReportRequest, context: ServerContext) async throws -> DailyReport {
        try await store.modify(DailyReport.self, id: request.id, version: request.version, action: .stateChange, access: try await store.access(context), context: context, request: request) {
            _, before, after in
            guard before.status == .submitted else { throw Self.invalidTransition(before, "recalled") }
            after.status = .draft
            // A recalled report was never handed in: it counts as missing until resubmitted.
            after.submitTimeMs = 0
        }
    }

    public func approveDailyReport(_ request: ApproveDailyReportRequest, context: ServerContext) async throws -> DailyReport {
        try await review(request, id: request.id, version: request.version, comment: request.comment, kind: .approval, context: context)
    }

    public func returnDailyReport(_ request: ReturnDailyReportRequest, context: ServerContext) async throws -> DailyReport {
        try await review(request, id: request.id, version: request.version, comment: request.comment, kind: .return, context: context)
    }

    /// An admin reopens an approved report: it is returned to its owner, with the
    /// reason in the thread.
    public func reopenDailyReport(_ request: ReopenDailyReportRequest, context: ServerContext) async throws -> DailyReport {
        try await review(request, id: request.id, version: request.version, comment: request.comment, kind: .reopen, context: context)
    }

    /// One review decision: approve or return a submitted report (the designated
    /// approver or an admin, never the owner), or reopen an approved one (admins, by
    /// the permission table). The decision and its comment join the thread, where
    /// earlier decisions stay.
    private func review(
        _ request: some ProtoMessage,
        id: String,
        version: Int64,
        comment: String,
        kind: DailyReportCommentKind,
        context: ServerContext
    ) async throws -> DailyReport {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(comment, "comment", required: kind != .approval, maximumLength: 2000)
        try validation.throwIfInvalid()
        let principal = access.principal
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, DailyReport.self, id: id, access: access)
            guard before.ownerUserId != principal.userID else {
                throw RPCError(code: .permissionDenied, message: "nobody reviews their own report", details: ErrorDetails(reason: "OWN_REPORT"))
            }
            guard before.status == (kind == .reopen ? .approved : .submitted) else { throw Self.invalidTransition(before, "\(kind)") }
            guard principal.role == .admin || before.approverUserId == principal.userID else {
                throw RPCError(
                    code: .permissionDenied,
                    message: "the report waits for its approver \(before.approverUserId)",
                    details: ErrorDetails(reason: "NOT_APPROVER")
                )
            }
            _ = try TenantStore.commit(db, &trail, before: before, version: version, action: .stateChange, access: access) { after in
                after.status = kind == .approval ? .approved : .returned
                after.reviewerUserId = principal.userID
                after.reviewTimeMs = nowMs()
                after.reviewComment = comment
            }
            _ = try DailyReportRecords.addComment(db, &trail, to: id, kind: kind, body: comment)
            return try RecordRows.fetch(db, DailyReport.self, id: id, access: access)
        }
    }

    /// Comments on a report the caller may read, in any status.
    public func addDailyReportComment(_ request: AddDailyReportCommentRequest, context: ServerContext) async throws -> DailyReportComment {
        let access = try await store.dailyReportReadAccess(context)
        var validation = Validation()
        validation.reference(request.dailyReportId, "daily_report_id")
        validation.text(request.body, "body", maximumLength: 2000)
        try validation.throwIfInvalid()
        return try await store.write(access, context: context, request: request) { db, trail in
            guard try RecordRows.findEncoded(db, DailyReport.self, id: request.dailyReportId, scope: access.readScope(DailyReport.self)) != nil else {
                throw StorageError.notFound(kind: DailyReport.table, id: request.dailyReportId)
            }
            return try DailyReportRecords.addComment(db, &trail, to: request.dailyReportId, kind: .comment, body: request.body)
        }
    }

    /// The thread of a report the caller may read, oldest first.
    public func listDailyReportComments(_ request: ListDailyReportCommentsRequest, context: ServerContext) async throws -> ListDailyReportCommentsResponse {
        let access = try await store.dailyReportReadAccess(context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "").request
        _ = try await store.getEncoded(DailyReport.self, id: request.dailyReportId, access: access)
        let comments = try await store.read(access) { db in
            try DailyReportRecords.comments(db, reportID: request.dailyReportId, after: page.after ?? "", limit: page.size)
        }
        return ListDailyReportCommentsResponse(comments: comments, nextPageToken: page.nextToken(lastID: comments.last?.id, count: comments.count))
    }

    /// The submitted reports waiting for the caller's decision, oldest date first.
    public func listDailyReportInbox(_ request: ListDailyReportInboxRequest, context: ServerContext) async throws -> ListDailyReportsResponse {
        let access = try await store.access(context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "report_date", orders: DailyReport.orders)
        var query = RecordQuery<DailyReport>()
        query.equals("approver_user_id", access.principal.userID)
        query.anyOf("status", [DailyReportStatus.submitted])
        // What waits for the caller's decision is the caller's to read, whatever its scope.
        let (reports, next) = try await store.list(DailyReport.self, query, page: page, access: access, withinScope: false)
        return ListDailyReportsResponse(dailyReports: reports, nextPageToken: next)
    }

    /// The working days of the range (the tenant's working weekdays minus its
    /// holidays) on which a rep or inside seller of the team has not submitted a report.
    public func listMissingDailyReports(_ request: ListMissingDailyReportsRequest, context: ServerContext) async throws -> ListMissingDailyReportsResponse {
        let access = try await store.access(context)
        let range = request.reportDateRange ?? DateRange()
        let principal = access.principal
        let teamID = request.teamId.isEmpty && principal.role != .admin ? principal.teamID : request.teamId
        var validation = Validation()
        validation.check(!teamID.isEmpty, "team_id", .required, "is required")
        validation.text(teamID, "team_id", required: false, maximumLength: 100)
        validation.check(principal.scope == .all || teamID == principal.teamID, "team_id", .notAllowed, "a manager asks for its own team")
        validation.date(range.startDate, "report_date_range.start_date", required: true)
        validation.date(range.endDate, "report_date_range.end_date", required: true)
        try validation.throwIfInvalid()
        let settings = try await store.read(access) { db in try SettingsRecords.load(db) }
        let calendar = TenantCalendar(timeZone: settings.timeZone)
        // The span is bounded before any day is listed (a range over centuries would
        // otherwise cost millions of calendar steps).
        let limit = calendar.date(range.startDate, plus: 91) ?? range.startDate
        validation.check(range.endDate <= limit, "report_date_range", .outOfRange, "spans more than 92 days")
        try validation.throwIfInvalid()
        let days = calendar.dates(from: range.startDate, through: range.endDate)
        validation.check(!days.isEmpty, "report_date_range.end_date", .outOfRange, "is before the start date")
        try validation.throwIfInvalid()
        let holidays = Set(settings.holidays)
        let workingDates = days.filter { settings.workingDays.contains($0.weekday) && !holidays.contains($0.date) }.map(\.date)
        let members = try await store.controlPlane.listUsers(
            tenantID: access.tenantID, scope: .all, page: PageRequest(pageSize: 500, pageToken: "", filter: ""),
            roles: [Role.rep.rawValue, Role.insideSales.rawValue], teamID: teamID, includeDeactivated: false, query: ""
        ).map(\.id).sorted()
        let submitted = try await store.read(access) { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT owner_user_id, report_date FROM daily_report
                    WHERE report_date >= ? AND report_date <= ? AND submit_time_ms > 0 AND owner_user_id IN (SELECT value FROM json_each(?))
                    """
            )
            return Set(try Row.fetchAll(statement, arguments: [range.startDate, range.endDate, SQLJSON.array(members)]).map { "\($0[0] as String) \($0[1] as String)" })
        }
        let missing = workingDates.flatMap { date in
            members.filter { !submitted.contains("\($0) \(date)") }.map { MissingDailyReport(userId: $0, reportDate: date) }
        }
        return ListMissingDailyReportsResponse(missing: missing, workingDates: workingDates)
    }

    private static func invalidTransition(_ report: DailyReport, _ verb: String) -> StorageError {
        .failedPrecondition(reason: "INVALID_STATE_TRANSITION", message: "a \(report.status) report is not \(verb)")
    }
}
