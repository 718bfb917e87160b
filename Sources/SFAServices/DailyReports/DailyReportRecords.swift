import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// Daily report rules that other records follow.
enum DailyReportRecords {
    /// Refuses a change of a record (a done activity, a consultation) that a submitted
    /// or approved daily report covers: what the manager reviews does not move under it.
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
}
