import GRDB
import SFAStorage
import SFAStubs

/// A deal's last and next activity time: derived from its activities and
/// consultations, kept in the opportunity's own columns outside the versioned record
/// (`Opportunity.derivedColumns`), so logging an activity never makes an editor's
/// version of the deal stale.
enum OpportunityActivityTimes {
    /// Recomputes the times of the deals `opportunityIDs` (empty ids are skipped) with
    /// plain UPDATEs of those two columns, in the caller's transaction: last = the
    /// latest done activity or consultation, next = the earliest planned activity
    /// (overdue ones included: they are still to do); archived and cancelled ones do
    /// not count.
    static func refresh(_ db: Database, opportunityIDs: Set<String>) throws {
        let statement = try db.cachedStatement(sql: refreshSQL)
        for id in opportunityIDs where !id.isEmpty {
            try statement.execute(arguments: [id, ActivityState.done.rawValue, ActivityState.planned.rawValue])
        }
    }

    /// Each subquery is one seek of an index of migration v11
    /// (`activity_opportunity_times`, `consultation_opportunity_times`), however many
    /// activities the deal has.
    static let refreshSQL = """
        UPDATE opportunity SET
            last_activity_time_ms = max(
                coalesce((SELECT max(activity_time_ms) FROM activity WHERE opportunity_id = ?1 AND state = ?2 AND archived = 0), 0),
                coalesce((SELECT max(start_time_ms) FROM consultation WHERE opportunity_id = ?1 AND archived = 0), 0)),
            next_activity_time_ms =
                coalesce((SELECT min(activity_time_ms) FROM activity WHERE opportunity_id = ?1 AND state = ?3 AND archived = 0), 0)
        WHERE id = ?1
        """
}
