import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Activities over the real server: overlaps reported, completion with its follow-up
/// in one transaction, links that must agree, the deal's derived activity times,
/// upserts from integrations, the lists.
@Suite struct ActivityTests {
    static let hour: Int64 = 3_600_000
    /// 2030-04-01 09:00 UTC, a Monday.
    static let monday9: Int64 = 1_901_264_400_000

    /// A tenant with an account, a contact of it and an open deal on it, all the rep's.
    struct Fixture {
        let stack: TestStack
        let tenant: TestTenant
        let account: Account
        let contact: Contact
        let deal: Opportunity
        var activities: ActivityServiceClient { stack.activities(tenant.keys[.rep]) }
        var rep: User { tenant.users[.rep]! }
    }

    static func fixture(_ stack: TestStack, _ name: String) async throws -> Fixture {
        let tenant = try await stack.makeTenant(name)
        let account = try await stack.accounts(tenant.keys[.rep]).createAccount(CreateAccountRequest(account: Account(name: "\(name) Customer")))
        let contact = try await stack.contacts(tenant.keys[.rep]).createContact(CreateContactRequest(contact: Contact(accountId: account.id, lastName: "Tanaka")))
        let deal = try await stack.opportunities(tenant.keys[.rep]).createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
            name: "\(name) deal", accountId: account.id, amount: Money(currencyCode: "JPY", amountMinor: 3_000_000), expectedCloseDate: "2030-06-30"
        )))
        return Fixture(stack: stack, tenant: tenant, account: account, contact: contact, deal: deal)
    }

    static func visit(at start: Int64, hours: Int64 = 1, subject: String = "Visit", dealID: String = "") -> Activity {
        Activity(kind: .visit, state: .planned, subject: subject, startTimeMs: start, opportunityId: dealID, endTimeMs: start + hours * hour)
    }

    @Test func overlappingAppointmentsOfOneRepAreReportedNotRefused() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Overlaps")
            let first = try await fixture.activities.createActivity(CreateActivityRequest(activity: Self.visit(at: Self.monday9)))
            #expect(first.created)
            #expect(first.overlapping.isEmpty)
            let second = try await fixture.activities.createActivity(CreateActivityRequest(activity: Self.visit(at: Self.monday9 + Self.hour / 2)))
            #expect(second.overlapping.map(\.id) == [first.activity!.id])
            // Touching is not overlapping; another rep's appointment is not this rep's.
            let touching = try await fixture.activities.createActivity(CreateActivityRequest(activity: Self.visit(at: Self.monday9 + 2 * Self.hour)))
            #expect(touching.overlapping.isEmpty)
            let manager = stack.activities(fixture.tenant.keys[.manager])
            let managers = try await manager.createActivity(CreateActivityRequest(activity: Self.visit(at: Self.monday9)))
            #expect(managers.overlapping.isEmpty)
            // An appointment the rep attends counts as the rep's; so does a reschedule into one.
            var attended = Self.visit(at: Self.monday9 + 5 * Self.hour)
            attended.attendeeUserIds = [fixture.rep.id]
            let meeting = try await manager.createActivity(CreateActivityRequest(activity: attended))
            let moved = try await fixture.activities.rescheduleActivity(RescheduleActivityRequest(
                id: touching.activity!.id, version: touching.activity!.version, startTimeMs: Self.monday9 + 5 * Self.hour + Self.hour / 4, endTimeMs: Self.monday9 + 6 * Self.hour
            ))
            #expect(moved.overlapping.map(\.id) == [meeting.activity!.id])
            #expect(moved.activity?.activityTimeMs == Self.monday9 + 5 * Self.hour + Self.hour / 4)
            // The attendee reads the meeting; the rep's attendee list filter finds it.
            #expect(try await fixture.activities.getActivity(GetActivityRequest(id: meeting.activity!.id)).id == meeting.activity!.id)
            let attending = try await fixture.activities.listActivities(ListActivitiesRequest(attendeeUserId: fixture.rep.id))
            #expect(attending.activities.map(\.id) == [meeting.activity!.id])
        }
    }

    @Test func aCompletionAndItsFollowUpAreOneTransaction() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Follow Up")
            let call = try #require(try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(
                kind: .call, state: .planned, subject: "Call back", startTimeMs: Self.monday9, contactIds: [fixture.contact.id],
                opportunityId: fixture.deal.id, endTimeMs: Self.monday9 + Self.hour / 4
            ))).activity)
            #expect(call.accountId == fixture.account.id)
            // A follow-up without its end is refused, and the call stays planned.
            let refused = try #require(await failure {
                try await fixture.activities.completeActivity(CompleteActivityRequest(
                    id: call.id, version: call.version, outcome: "Interested", callResult: .connected,
                    followUp: Activity(kind: .demo, state: .planned, subject: "Demo", startTimeMs: Self.monday9 + 48 * Self.hour)
                ))
            })
            #expect(refused.code == .invalidArgument)
            #expect(refused.details.fieldViolations.map(\.field) == ["activity.end_time_ms"])
            let unchanged = try await fixture.activities.getActivity(GetActivityRequest(id: call.id))
            #expect(unchanged == call)
            #expect(try await fixture.activities.listActivities(ListActivitiesRequest()).activities.map(\.id) == [call.id])
            // A done call needs its result.
            let noResult = try #require(await failure {
                try await fixture.activities.completeActivity(CompleteActivityRequest(id: call.id, version: call.version))
            })
            #expect(noResult.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["activity.call_result UNKNOWN_VALUE"])

            let completed = try await fixture.activities.completeActivity(CompleteActivityRequest(
                id: call.id, version: call.version, outcome: "Interested", doneTimeMs: Self.monday9 + 60_000, callDirection: .outbound, callResult: .connected,
                followUp: Activity(kind: .demo, state: .planned, subject: "Demo", startTimeMs: Self.monday9 + 48 * Self.hour, endTimeMs: Self.monday9 + 49 * Self.hour)
            ))
            let done = try #require(completed.activity)
            #expect(done.state == .done)
            #expect(done.durationMs == Self.hour / 4)
            #expect(done.activityTimeMs == Self.monday9 + 60_000)
            let next = try #require(completed.followUp?.activity)
            #expect(next.previousActivityId == call.id)
            #expect(next.opportunityId == fixture.deal.id)
            #expect(next.accountId == fixture.account.id)
            #expect(next.contactIds == [fixture.contact.id])
            // Completing twice is a transition from the wrong state.
            let twice = try #require(await failure { try await fixture.activities.completeActivity(CompleteActivityRequest(id: done.id, version: done.version, callResult: .busy)) })
            #expect(twice.details.reason == "INVALID_STATE_TRANSITION")
        }
    }

    @Test func loggingAnActivityMovesTheDealsActivityTimesButNotItsVersion() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Deal Times")
            let deals = stack.opportunities(fixture.tenant.keys[.rep])
            let doneTime = Self.monday9 - 24 * Self.hour
            _ = try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(
                kind: .email, state: .done, subject: "Sent the brochure", doneTimeMs: doneTime, opportunityId: fixture.deal.id
            )))
            let planned = try #require(try await fixture.activities.createActivity(CreateActivityRequest(activity: Self.visit(at: Self.monday9, dealID: fixture.deal.id))).activity)
            var deal = try await deals.getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
            #expect(deal.version == fixture.deal.version)
            #expect(deal.lastActivityTimeMs == doneTime)
            #expect(deal.nextActivityTimeMs == Self.monday9)
            let listed = try await deals.listOpportunities(ListOpportunitiesRequest(accountId: fixture.account.id)).opportunities
            #expect(listed.map(\.lastActivityTimeMs) == [doneTime])
            #expect(listed.map(\.nextActivityTimeMs) == [Self.monday9])
            // An editor holding the deal's version is not made stale, and its answer shows the times.
            deal = try await deals.updateOpportunity(UpdateOpportunityRequest(
                opportunity: Opportunity(id: deal.id, version: fixture.deal.version, nextStep: "Visit"), updateMask: ["next_step"]
            ))
            #expect(deal.version == fixture.deal.version + 1)
            #expect(deal.nextActivityTimeMs == Self.monday9)
            // Cancelling the visit clears the next time; the stored record never holds the times.
            _ = try await fixture.activities.cancelActivity(CancelActivityRequest(id: planned.id, version: planned.version, reason: "customer ill"))
            deal = try await deals.getOpportunity(GetOpportunityRequest(id: deal.id))
            #expect(deal.nextActivityTimeMs == 0)
            #expect(deal.lastActivityTimeMs == doneTime)
            #expect(deal.version == fixture.deal.version + 1)
        }
    }

    @Test func linksMustAgreeAndARefusedActivityIsNotCreated() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Links")
            let accounts = stack.accounts(fixture.tenant.keys[.rep])
            let other = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Other Customer")))
            let stranger = try await stack.contacts(fixture.tenant.keys[.rep]).createContact(CreateContactRequest(contact: Contact(accountId: other.id, lastName: "Kim")))
            let foreignContact = try #require(await failure {
                try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(
                    kind: .call, state: .done, subject: "Call", contactIds: [stranger.id], accountId: fixture.account.id, callResult: .connected
                )))
            })
            #expect(foreignContact.code == .invalidArgument)
            #expect(foreignContact.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["activity.contact_ids[0] INCONSISTENT"])
            let foreignDeal = try #require(await failure {
                try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(
                    kind: .meeting, state: .done, subject: "Meeting", accountId: other.id, opportunityId: fixture.deal.id
                )))
            })
            #expect(foreignDeal.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["activity.opportunity_id INCONSISTENT"])
            let archived = try await stack.accounts(fixture.tenant.keys[.admin]).archiveAccount(ArchiveAccountRequest(id: other.id, version: other.version))
            let archivedAccount = try #require(await failure {
                try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(kind: .email, state: .done, subject: "Mail", accountId: archived.id)))
            })
            #expect(archivedAccount.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["activity.account_id ARCHIVED"])
            let cancelled = try #require(await failure {
                try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(kind: .email, state: .cancelled, subject: "Mail")))
            })
            #expect(cancelled.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["activity.state NOT_ALLOWED"])
            #expect(try await fixture.activities.listActivities(ListActivitiesRequest(includeArchived: true)).activities.isEmpty)
            // The account comes from the contact when omitted.
            let derived = try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(
                kind: .email, state: .done, subject: "Mail", contactIds: [fixture.contact.id]
            )))
            #expect(derived.activity?.accountId == fixture.account.id)
        }
    }

    @Test func anExternalIdUpdatesTheActivityItFirstCreated() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Calendar Sync")
            var event = Self.visit(at: Self.monday9, subject: "Site visit")
            event.externalId = "gcal:abc123"
            let first = try await fixture.activities.createActivity(CreateActivityRequest(activity: event))
            let again = try await fixture.activities.createActivity(CreateActivityRequest(activity: event))
            #expect(!again.created)
            #expect(again.activity == first.activity)
            event.startTimeMs += Self.hour
            event.endTimeMs += Self.hour
            let moved = try await fixture.activities.createActivity(CreateActivityRequest(activity: event))
            #expect(!moved.created)
            #expect(moved.activity?.id == first.activity?.id)
            #expect(moved.activity?.version == 2)
            #expect(moved.activity?.activityTimeMs == Self.monday9 + Self.hour)
            // Another rep's calendar may use the same id: a separate activity.
            let managers = try await stack.activities(fixture.tenant.keys[.manager]).createActivity(CreateActivityRequest(activity: event))
            #expect(managers.created)
            #expect(managers.activity?.id != first.activity?.id)
        }
    }

    @Test func listsFilterByKindStateDateLinkAndOverdue() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Lists")
            let past = try #require(try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(
                kind: .task, state: .planned, subject: "Send quote", dueDate: "2020-01-10"
            ))).activity)
            let future = try #require(try await fixture.activities.createActivity(CreateActivityRequest(activity: Self.visit(at: Self.monday9, dealID: fixture.deal.id))).activity)
            let done = try #require(try await fixture.activities.createActivity(CreateActivityRequest(activity: Activity(
                kind: .call, state: .done, subject: "Intro call", doneTimeMs: Self.monday9 - Self.hour, contactIds: [fixture.contact.id], callResult: .voicemail
            ))).activity)
            let list = { (request: ListActivitiesRequest) in try await fixture.activities.listActivities(request).activities.map(\.id) }
            #expect(try await list(ListActivitiesRequest(overdue: true)) == [past.id])
            #expect(try await list(ListActivitiesRequest(kinds: [.call])) == [done.id])
            #expect(try await list(ListActivitiesRequest(states: [.planned])) == [past.id, future.id])
            #expect(try await list(ListActivitiesRequest(opportunityId: fixture.deal.id)) == [future.id])
            #expect(try await list(ListActivitiesRequest(contactId: fixture.contact.id)) == [done.id])
            #expect(try await list(ListActivitiesRequest(activityTime: TimeRange(startTimeMs: Self.monday9 - 2 * Self.hour, endTimeMs: Self.monday9 + 1))) == [future.id, done.id])
            #expect(try await list(ListActivitiesRequest(orderBy: "activity_time_ms desc")) == [future.id, done.id, past.id])
            #expect(past.activityDate == "2020-01-10")
            // Another rep's list does not show them; the manager's does.
            #expect(try await stack.activities(fixture.tenant.keys[.insideSales]).listActivities(ListActivitiesRequest()).activities.isEmpty)
            #expect(try await stack.activities(fixture.tenant.keys[.manager]).listActivities(ListActivitiesRequest(ownerUserId: fixture.rep.id)).activities.count == 3)
            // A mistaken entry is archived and leaves the lists.
            _ = try await fixture.activities.archiveActivity(ArchiveActivityRequest(id: done.id, version: done.version))
            #expect(try await list(ListActivitiesRequest(kinds: [.call])).isEmpty)
        }
    }
}
