import GRDB
import SFAStubs

/// A lead's first touch (speed to lead): the earliest done activity or live
/// consultation on it at or after its creation, kept in the lead's own column
/// outside the versioned record (`Lead.derivedColumns`), so logging an activity never
/// makes an editor's version of the lead stale. Like a deal's activity times it
/// counts every activity on the lead, whoever may read it.
enum LeadFirstTouch {
    /// Recomputes the first touch of the leads `leadIDs` (empty ids are skipped) with
    /// plain UPDATEs of that column, in the caller's transaction.
    static func refresh(_ db: Database, leadIDs: Set<String>) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE lead SET first_touch_time_ms = coalesce((
                    SELECT min(touch) FROM (
                        SELECT min(activity_time_ms) AS touch FROM activity
                        WHERE lead_id = ?1 AND state = ?2 AND archived = 0 AND activity_time_ms >= lead.create_time_ms
                        UNION ALL
                        SELECT min(start_time_ms) FROM consultation
                        WHERE lead_id = ?1 AND archived = 0 AND start_time_ms >= lead.create_time_ms
                    )
                ), 0)
                WHERE id = ?1
                """
        )
        for id in leadIDs where !id.isEmpty {
            try statement.execute(arguments: [id, ActivityState.done.rawValue])
        }
    }
}
