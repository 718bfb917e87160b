import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How activities are stored and checked. Their time (`activity_time_ms`) and day
/// (`activity_date`) are derived in every write (`ActivityRecords.settle`); every
/// change refreshes the linked deals' last and next activity time, and a done
/// activity a submitted daily report covers no longer changes (`recordChanged`).
extension Activity: CustomerLinkedRecord, ArchivableRecord {
    static var table: String { "activity" }
    static var recordKind: RecordKind { .activity }
    static var idPrefix: String { "act" }
    static var fieldPath: String { "activity" }

    /// What UpdateActivity changes; times and state have their transitions.
    static let updatable: Set<String> = [
        "subject", "notes", "priority", "location", "outcome", "lead_id", "contact_ids", "account_id", "opportunity_id",
        "attendee_user_ids", "call_direction", "call_result", "owner_user_id",
    ]

    static var creatable: Set<String> {
        updatable.union(["kind", "state", "start_time_ms", "end_time_ms", "due_date", "done_time_ms", "duration_ms", "external_id"])
    }

    /// What a repeated CreateActivity with a known external_id replaces: the event as
    /// the calendar or mail system sees it, not what the rep recorded since (its
    /// state, completion and owner).
    static var synced: Set<String> {
        creatable.subtracting(["state", "done_time_ms", "duration_ms", "outcome", "call_direction", "call_result", "owner_user_id"])
    }

    /// Order names of ListActivities and their columns.
    static let orders = ["activity_time_ms": "activity_time_ms"]

    /// Attendees read the activities they take part in.
    static var readersColumn: String? { "attendee_user_ids" }

    /// Appointments and durations: at most a week.
    static let maximumLengthMs: Int64 = 7 * 24 * 3_600_000

    var columns: [String: (any DatabaseValueConvertible)?] {
        linkColumns.merging([
            "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId, "archived": archived,
            "kind": kind.rawValue, "state": state.rawValue, "consultation_id": consultationId,
            "activity_time_ms": activityTimeMs, "end_time_ms": endTimeMs, "activity_date": activityDate,
            "external_id": externalId, "search": RecordText.search(subject, notes, outcome, location), "update_time_ms": updateTimeMs,
            // The activity figures (analytics).
            "call_result": callResult.rawValue, "duration_ms": durationMs,
        ]) { $1 }
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.known(kind, prefix + "kind")
        validation.known(state, prefix + "state")
        validation.known(priority, prefix + "priority", required: false)
        validation.text(subject, prefix + "subject")
        validation.text(notes, prefix + "notes", required: false, maximumLength: 10_000)
        validation.text(location, prefix + "location", required: false, maximumLength: 500)
        validation.text(outcome, prefix + "outcome", required: false, maximumLength: 2000)
        validation.text(cancelReason, prefix + "cancel_reason", required: false, maximumLength: 500)
        validation.text(externalId, prefix + "external_id", required: false)
        validation.date(dueDate, prefix + "due_date", required: false)
        validateLinks(prefix: prefix, into: &validation)
        validation.check(startTimeMs >= 0, prefix + "start_time_ms", .outOfRange, "is negative")
        if endTimeMs != 0 || (state == .planned && kind != .task) {
            validation.check(startTimeMs > 0, prefix + "start_time_ms", .required, "an appointment has a start and an end")
            validation.check(endTimeMs > startTimeMs, prefix + "end_time_ms", .outOfRange, "is not after the start")
            validation.check(endTimeMs - startTimeMs <= Self.maximumLengthMs, prefix + "end_time_ms", .outOfRange, "is more than 7 days after the start")
        }
        if state == .planned, kind == .task {
            validation.check(startTimeMs > 0 || !dueDate.isEmpty, prefix + "due_date", .required, "a planned task has a due date or a start")
        }
        if state == .done {
            validation.check(doneTimeMs > 0, prefix + "done_time_ms", .required, "a done activity has its time")
            validation.check((0...Self.maximumLengthMs).contains(durationMs), prefix + "duration_ms", .outOfRange, "is not 0 to 7 days")
        } else {
            validation.check(doneTimeMs == 0, prefix + "done_time_ms", .notAllowed, "only a done activity has one")
            validation.check(durationMs == 0, prefix + "duration_ms", .notAllowed, "only a done activity has one")
        }
        if kind == .call {
            validation.known(callDirection, prefix + "call_direction", required: false)
            validation.known(callResult, prefix + "call_result", required: state == .done)
        } else {
            validation.check(callDirection == .unspecified, prefix + "call_direction", .notAllowed, "only calls have one")
            validation.check(callResult == .unspecified, prefix + "call_result", .notAllowed, "only calls have one")
        }
    }

    /// Refreshes the linked deals' activity times and leads' first touch, and refuses changing a done
    /// activity that a submitted daily report covers: this runs for every change,
    /// so no method can skip it.
    static func recordChanged(_ db: Database, from before: Activity?, to after: inout Activity, by userID: String) throws {
        if let before { try DailyReportRecords.requireUncovered(db, recordID: before.id, what: "activity") }
        try OpportunityActivityTimes.refresh(db, opportunityIDs: [before?.opportunityId ?? "", after.opportunityId])
        try LeadFirstTouch.refresh(db, leadIDs: [before?.leadId ?? "", after.leadId])
    }
}

/// Activity rules that read other records or the tenant's settings.
enum ActivityRecords {
    /// Completes an activity in its write transaction: checks its links (when new or
    /// changed since `before`) and derives its time and day in the tenant's time zone.
    static func settle(_ db: Database, _ activity: inout Activity, before: Activity?) throws {
        try CustomerLinks.settle(db, &activity, before: before)
        settleTime(&activity, calendar: TenantCalendar(timeZone: try SettingsRecords.load(db).timeZone))
    }

    /// Derives the activity's time and day in the tenant's calendar.
    static func settleTime(_ activity: inout Activity, calendar: TenantCalendar) {
        if activity.state != .done, activity.startTimeMs == 0, let due = calendar.bounds(of: activity.dueDate) {
            // A task due on a date is due by the end of that day (then overdue).
            activity.activityTimeMs = due.endMs - 1
            activity.activityDate = activity.dueDate
        } else {
            activity.activityTimeMs = activity.state == .done ? activity.doneTimeMs : activity.startTimeMs
            activity.activityDate = activity.activityTimeMs > 0 ? calendar.date(ofMs: activity.activityTimeMs) : ""
        }
    }

    /// The live planned appointments of the activity's owner (owned or attended) that
    /// overlap it, earliest first; none when it is not a planned appointment.
    static func overlapping(_ db: Database, _ activity: Activity) throws -> [Activity] {
        guard activity.state == .planned, !activity.archived, activity.startTimeMs > 0, activity.endTimeMs > 0 else { return [] }
        let statement = try db.cachedStatement(
            sql: """
                SELECT data FROM activity
                WHERE state = ? AND archived = 0 AND id != ? AND end_time_ms > ? AND activity_time_ms < ?
                    AND (owner_user_id = ? OR EXISTS (SELECT 1 FROM json_each(attendee_user_ids) WHERE value = ?))
                ORDER BY activity_time_ms, id LIMIT 20
                """
        )
        return try Data.fetchAll(
            statement,
            arguments: [ActivityState.planned.rawValue, activity.id, activity.startTimeMs, activity.endTimeMs, activity.ownerUserId, activity.ownerUserId]
        ).map { try Activity(serializedBytes: Array($0)) }
    }

    /// The owner's live activities of `date` in `state`, in time order: a daily
    /// report's content.
    static func ofDay(_ db: Database, ownerUserID: String, date: String, state: ActivityState) throws -> [Activity] {
        let statement = try db.cachedStatement(
            sql: "SELECT data FROM activity WHERE owner_user_id = ? AND activity_date = ? AND state = ? AND archived = 0 ORDER BY activity_time_ms, id"
        )
        return try Data.fetchAll(statement, arguments: [ownerUserID, date, state.rawValue]).map { try Activity(serializedBytes: Array($0)) }
    }

    /// The owner's activity with `externalID`, if any.
    static func synced(_ db: Database, ownerUserID: String, externalID: String) throws -> Activity? {
        let statement = try db.cachedStatement(sql: "SELECT data FROM activity WHERE owner_user_id = ? AND external_id = ?")
        return try Data.fetchOne(statement, arguments: [ownerUserID, externalID]).map { try Activity(serializedBytes: Array($0)) }
    }

    /// Plans or logs the prepared activity (stamped, with its owner) inside a write
    /// transaction, or — when its owner already has an activity with its external_id
    /// — updates that one's synced fields; reports the owner's appointments it overlaps.
    static func createOrSync(_ db: Database, _ trail: inout AuditTrail, _ prepared: PreparedRecord<Activity>, access: RecordAccess) throws -> ActivityWrite {
        let proposed = prepared.record
        if !proposed.externalId.isEmpty, let existing = try synced(db, ownerUserID: proposed.ownerUserId, externalID: proposed.externalId) {
            try existing.requireWritable()
            let activity = try TenantStore.commit(db, &trail, before: existing, version: existing.version, action: .update, access: access) { after in
                try after.merge(from: proposed, fields: Activity.synced)
                try settle(db, &after, before: existing)
            }
            return ActivityWrite(activity: activity, overlapping: try overlapping(db, activity), created: false)
        }
        let activity = try TenantStore.insert(db, &trail, prepared) { db, activity in try settle(db, &activity, before: nil) }
        return ActivityWrite(activity: activity, overlapping: try overlapping(db, activity), created: true)
    }
}

extension TenantStore {
    /// A new activity from a request (`field` names it there): its creatable fields,
    /// in one of `states` (UNSPECIFIED meaning the first), done now unless its time is
    /// given, its owner checked, its attendees active users.
    func proposedActivity(_ requested: Activity?, field: String, access: RecordAccess, states: [ActivityState] = [.planned, .done]) async throws -> Activity {
        var activity = try Activity.proposed(requested)
        if activity.state == .unspecified, let first = states.first { activity.state = first }
        var validation = Validation()
        validation.check(states.contains(activity.state), field + ".state", .notAllowed, "is \(states.map { "\($0)" }.joined(separator: " or ")) here")
        try validation.throwIfInvalid()
        if activity.state == .done, activity.doneTimeMs == 0 { activity.doneTimeMs = nowMs() }
        try await requireActiveUsers(activity.attendeeUserIds, access: access, field: field + ".attendee_user_ids")
        return try await owned(activity, access: access)
    }

    /// `proposed` (from `proposedActivity`) stamped and prepared for the write that
    /// creates it, with its time and day derived as that write derives them (from
    /// the tenant's settings now): unless its links or the settings change before the
    /// write runs, the write stores what was prepared.
    func prepared(_ proposed: Activity, access: RecordAccess) async throws -> PreparedRecord<Activity> {
        let settings = try await read(access) { db in try SettingsRecords.load(db) }
        var activity = Self.stamped(proposed)
        ActivityRecords.settleTime(&activity, calendar: TenantCalendar(timeZone: settings.timeZone))
        return try PreparedRecord(activity)
    }
}
