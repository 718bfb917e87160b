import Foundation
import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.ActivityService`: calls, visits, e-mails, meetings, demos and tasks,
/// planned or done, linked to a lead, an account, its contacts and a deal. Reps work
/// their own, managers their team's; attendees read the activities they take part in.
public struct ActivityService: ActivityServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    /// Reads answer with the stored records' bytes; the typed functions decode them.
    public var methodHandlers: [RPCMethodHandler] {
        typedMethodHandlers.replacing([
            RPCMethodHandler(method: ActivityServiceMethods.getActivity) { (request: GetActivityRequest, context) in
                try await self.store.getEncoded(Activity.self, id: request.id, access: try await self.store.access(context))
            },
            RPCMethodHandler(method: ActivityServiceMethods.listActivities) { (request: ListActivitiesRequest, context) in
                try await self.encodedActivities(request, context: context)
            },
        ])
    }

    /// Plans an activity or logs a done one (done now unless its time is given); an
    /// external_id its owner used before updates that activity instead. Overlapping
    /// appointments of the owner are reported with it.
    public func createActivity(_ request: CreateActivityRequest, context: ServerContext) async throws -> ActivityWrite {
        let access = try await store.access(context)
        let proposed = try await store.prepared(try await store.proposedActivity(request.activity, field: "activity", access: access), access: access)
        return try await store.write(access, context: context, request: request) { db, trail in
            try ActivityRecords.createOrSync(db, &trail, proposed, access: access)
        }
    }

    public func getActivity(_ request: GetActivityRequest, context: ServerContext) async throws -> Activity {
        try await store.get(Activity.self, id: request.id, access: try await store.access(context))
    }

    /// Changes subject, notes, links, attendees, call details, owner; links are checked
    /// again when they change.
    public func updateActivity(_ request: UpdateActivityRequest, context: ServerContext) async throws -> Activity {
        let access = try await store.access(context)
        let mask = try UpdateMask<Activity>(request.updateMask, updatable: Activity.updatable, prefix: "activity")
        let changes = request.activity ?? Activity()
        if mask.contains("attendee_user_ids") {
            try await store.requireActiveUsers(changes.attendeeUserIds, access: access, field: "activity.attendee_user_ids")
        }
        return try await store.update(changes, mask: mask, access: access, context: context, request: request) { db, before, after in
            try ActivityRecords.settle(db, &after, before: before)
        }
    }

    public func listActivities(_ request: ListActivitiesRequest, context: ServerContext) async throws -> ListActivitiesResponse {
        try await encodedActivities(request, context: context).decoded()
    }

    func encodedActivities(_ request: ListActivitiesRequest, context: ServerContext) async throws -> EncodedMessage<ListActivitiesResponse> {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.query, "query", required: false)
        validation.references([
            "owner_user_id": request.ownerUserId, "team_id": request.teamId, "lead_id": request.leadId,
            "contact_id": request.contactId, "account_id": request.accountId, "opportunity_id": request.opportunityId,
            "attendee_user_id": request.attendeeUserId, "consultation_id": request.consultationId,
        ])
        validation.bounded(request.kinds.count, "kinds")
        validation.bounded(request.states.count, "states")
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy, orders: Activity.orders)
        var query = RecordQuery<Activity>()
        query.search(request.query)
        query.equals("owner_user_id", request.ownerUserId)
        query.ownedBy(try await store.teamMembers(request.teamId, access: access))
        query.equals("lead_id", request.leadId)
        query.equals("account_id", request.accountId)
        query.equals("opportunity_id", request.opportunityId)
        query.equals("consultation_id", request.consultationId)
        query.anyOf("kind", request.kinds)
        query.anyOf("state", request.states)
        query.within("activity_time_ms", request.activityTime)
        if !request.contactId.isEmpty {
            query.filter("EXISTS (SELECT 1 FROM json_each(contact_ids) WHERE value = ?)", [request.contactId])
        }
        if !request.attendeeUserId.isEmpty {
            query.filter("EXISTS (SELECT 1 FROM json_each(attendee_user_ids) WHERE value = ?)", [request.attendeeUserId])
        }
        if request.overdue {
            query.filter("state = ? AND activity_time_ms > 0 AND activity_time_ms < ?", [ActivityState.planned.rawValue, nowMs()])
        }
        query.archived(included: request.includeArchived)
        let (activities, next) = try await store.listEncoded(Activity.self, query, page: page, access: access)
        return try store.listResponse(ListActivitiesResponse.self, recordsField: "activities", records: activities, nextPageToken: next)
    }

    /// Marks a planned activity done and, when asked, plans the follow-up in the same
    /// transaction: if the follow-up is refused, the activity stays planned.
    public func completeActivity(_ request: CompleteActivityRequest, context: ServerContext) async throws -> CompleteActivityResponse {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.outcome, "outcome", required: false, maximumLength: 2000)
        validation.check(request.doneTimeMs >= 0, "done_time_ms", .outOfRange, "is negative")
        try validation.throwIfInvalid()
        let followUp = try await request.followUp.asyncMap { try await store.proposedActivity($0, field: "follow_up", access: access, states: [.planned]) }
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, Activity.self, id: request.id, access: access)
            try before.requireWritable()
            try Self.requirePlanned(before)
            let done = try TenantStore.commit(db, &trail, before: before, version: request.version, action: .stateChange, access: access) { after in
                after.state = .done
                after.doneTimeMs = request.doneTimeMs > 0 ? request.doneTimeMs : nowMs()
                after.durationMs = request.durationMs > 0 ? request.durationMs : max(0, before.endTimeMs - before.startTimeMs)
                after.outcome = request.outcome
                if request.callDirection != .unspecified { after.callDirection = request.callDirection }
                after.callResult = request.callResult
                try ActivityRecords.settle(db, &after, before: before)
            }
            guard var next = followUp else { return CompleteActivityResponse(activity: done) }
            next.previousActivityId = done.id
            if next.leadId.isEmpty, next.accountId.isEmpty, next.opportunityId.isEmpty, next.contactIds.isEmpty {
                (next.leadId, next.accountId, next.opportunityId, next.contactIds) = (done.leadId, done.accountId, done.opportunityId, done.contactIds)
            }
            return CompleteActivityResponse(activity: done, followUp: try ActivityRecords.createOrSync(db, &trail, .unprepared(TenantStore.stamped(next)), access: access))
        }
    }

    /// Moves a planned activity to another start and end (or due date); overlapping
    /// appointments of the owner are reported with it.
    public func rescheduleActivity(_ request: RescheduleActivityRequest, context: ServerContext) async throws -> ActivityWrite {
        let access = try await store.access(context)
        var validation = Validation()
        validation.date(request.dueDate, "due_date", required: false)
        try validation.throwIfInvalid()
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, Activity.self, id: request.id, access: access)
            try before.requireWritable()
            try Self.requirePlanned(before)
            let activity = try TenantStore.commit(db, &trail, before: before, version: request.version, action: .update, access: access) { after in
                (after.startTimeMs, after.endTimeMs, after.dueDate) = (request.startTimeMs, request.endTimeMs, request.dueDate)
                try ActivityRecords.settle(db, &after, before: before)
            }
            return ActivityWrite(activity: activity, overlapping: try ActivityRecords.overlapping(db, activity))
        }
    }

    /// Cancels a planned activity, with a reason.
    public func cancelActivity(_ request: CancelActivityRequest, context: ServerContext) async throws -> Activity {
        let access = try await store.access(context)
        return try await store.modify(Activity.self, id: request.id, version: request.version, action: .stateChange, access: access, context: context, request: request) {
            db, before, after in
            try Self.requirePlanned(before)
            after.state = .cancelled
            after.cancelReason = request.reason
            try ActivityRecords.settle(db, &after, before: before)
        }
    }

    /// Archives a mistaken entry (RECORD_LOCKED once a submitted daily report covers it).
    public func archiveActivity(_ request: ArchiveActivityRequest, context: ServerContext) async throws -> Activity {
        try await store.archive(Activity.self, id: request.id, version: request.version, access: try await store.access(context), context: context, request: request)
    }

    private static func requirePlanned(_ activity: Activity) throws {
        guard activity.state == .planned else {
            throw StorageError.failedPrecondition(reason: "INVALID_STATE_TRANSITION", message: "the activity is \(activity.state), not planned")
        }
    }
}
