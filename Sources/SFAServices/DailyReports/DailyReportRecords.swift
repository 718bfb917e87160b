import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How daily reports (日報) are stored and checked. A report keeps its owner's team
/// (`recordTeam`); its content is linked from the owner's activities and
/// consultations of the day (`DailyReportRecords.link`); its comment count is
/// derived outside the versioned record, so commenting never makes the approver's
/// version stale; its approver reads it (`reader_user_ids`).
extension DailyReport: OwnedRecord {
    static var table: String { "daily_report" }
    static var recordKind: RecordKind { .dailyReport }
    static var idPrefix: String { "drpt" }
    static var fieldPath: String { "daily_report" }

    static let updatable: Set<String> = ["summary", "problems", "tomorrow_plan"]

    static var creatable: Set<String> { updatable.union(["report_date"]) }

    /// Order names of ListDailyReports and their columns.
    static let orders = ["report_date": "report_date"]

    static var derivedColumns: [String] { ["comment_count"] }

    static var readersColumn: String? { "reader_user_ids" }

    var recordTeam: String? {
        get { teamId }
        set { teamId = newValue ?? "" }
    }

    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId, "team_id": teamId, "status": status.rawValue,
            "report_date": reportDate, "approver_user_id": approverUserId,
            "reader_user_ids": SQLJSON.array(approverUserId.isEmpty ? [] : [approverUserId]),
            "submit_time_ms": submitTimeMs, "update_time_ms": updateTimeMs,
        ]
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.date(reportDate, prefix + "report_date", required: true)
        validation.known(status, prefix + "status")
        validation.text(summary, prefix + "summary", required: false, maximumLength: 10_000)
        validation.text(problems, prefix + "problems", required: false, maximumLength: 10_000)
        validation.text(tomorrowPlan, prefix + "tomorrow_plan", required: false, maximumLength: 10_000)
    }

    /// Whether a report may change depends on the method (the owner edits a draft,
    /// the approver decides a submitted one): each method checks its status.
    func requireWritable() throws {}

    /// Whether the owner may edit it: a draft or a returned report.
    var isEditable: Bool { status == .draft || status == .returned }
}

/// Daily report rules that read other records, and the rules other records follow.
enum DailyReportRecords {
    /// Links the owner's content of the report's day: done activities (with counts by
    /// kind), consultations, and planned activities shown as not done.
    static func link(_ db: Database, _ report: inout DailyReport) throws {
        let done = try ActivityRecords.ofDay(db, ownerUserID: report.ownerUserId, date: report.reportDate, state: .done)
        let planned = try ActivityRecords.ofDay(db, ownerUserID: report.ownerUserId, date: report.reportDate, state: .planned)
        let consultations = try ConsultationRecords.ofDay(db, ownerUserID: report.ownerUserId, date: report.reportDate)
        report.activityIds = done.map(\.id)
        report.plannedActivityIds = planned.map(\.id)
        report.consultationIds = consultations.map(\.id)
        report.consultationCount = Int32(consultations.count)
        let counts = Dictionary(grouping: done, by: \.kind).mapValues { Int32($0.count) }
        report.activityCounts = counts.keys.sorted { $0.rawValue < $1.rawValue }.map { DailyReportKindCount(kind: $0, count: counts[$0] ?? 0) }
    }

    /// Records which done activities and consultations a submitted report covers
    /// (they are locked while it is submitted or approved: `requireUncovered`).
    static func cover(_ db: Database, _ report: DailyReport) throws {
        try db.cachedStatement(sql: "DELETE FROM daily_report_item WHERE daily_report_id = ?").execute(arguments: [report.id])
        let insert = try db.cachedStatement(sql: "INSERT INTO daily_report_item (record_id, daily_report_id) VALUES (?, ?)")
        for id in report.activityIds + report.consultationIds { try insert.execute(arguments: [id, report.id]) }
    }

    /// Refuses a change of a record (a done activity, a consultation) that a submitted
    /// or approved daily report covers: what the approver reviews does not move under it.
    static func requireUncovered(_ db: Database, recordID: String, what: String) throws {
        let statement = try db.cachedStatement(
            sql: """
                SELECT r.report_date FROM daily_report_item i JOIN daily_report r ON r.id = i.daily_report_id
                WHERE i.record_id = ? AND r.status IN (?, ?) LIMIT 1
                """
        )
        if let date = try String.fetchOne(statement, arguments: [recordID, DailyReportStatus.submitted.rawValue, DailyReportStatus.approved.rawValue]) {
            throw StorageError.failedPrecondition(
                reason: "RECORD_LOCKED",
                message: "the \(what) is covered by the submitted daily report of \(date); it changes only if the report is returned or recalled"
            )
        }
    }

    /// Appends a comment or review decision to the report's thread (immutable rows),
    /// counts it outside the report's version, and audits it.
    static func addComment(
        _ db: Database,
        _ trail: inout AuditTrail,
        to reportID: String,
        kind: DailyReportCommentKind,
        body: String
    ) throws -> DailyReportComment {
        let comment = DailyReportComment(
            id: RecordID.make("drcm"), dailyReportId: reportID, authorUserId: trail.principal.userID, body: body, createTimeMs: nowMs(), kind: kind
        )
        try db.cachedStatement(sql: "INSERT INTO daily_report_comment (id, daily_report_id, data) VALUES (?, ?, ?)")
            .execute(arguments: [comment.id, reportID, Data(comment.serializedBytes())])
        try db.cachedStatement(sql: "UPDATE daily_report SET comment_count = comment_count + 1 WHERE id = ?").execute(arguments: [reportID])
        trail.record(.dailyReportComment, comment.id, .create, version: 1, changes: FieldDiff.changes(DailyReportComment(), comment))
        return comment
    }

    /// The report's thread, oldest first, after the comment id `after` (ids sort by time).
    static func comments(_ db: Database, reportID: String, after: String, limit: Int) throws -> [DailyReportComment] {
        let statement = try db.cachedStatement(sql: "SELECT data FROM daily_report_comment WHERE daily_report_id = ? AND id > ? ORDER BY id LIMIT ?")
        return try Data.fetchAll(statement, arguments: [reportID, after, limit]).map { try DailyReportComment(serializedBytes: Array($0)) }
    }
}
