import Foundation
import GRDB
import SFAServices
import SFAStorage
import SFAStubs
import Testing

/// The change feed (ChangeService.ListChanges) over the real server: every operation
/// in commit order, each caller's scope per record, tombstones for what left a
/// caller's view, cursors that page without miss or repeat, and a partner's copy kept
/// by the feed under concurrent writes that ends equal to what the lists show.
@Suite struct ChangeFeedTests {
    /// Every change after `cursor`, page after page until the feed has caught up, and
    /// the cursor to go on from.
    static func drain(_ feed: ChangeServiceClient, from cursor: String = "", pageSize: Int32 = 0) async throws -> (changes: [Change], cursor: String) {
        var changes: [Change] = []
        var cursor = cursor
        // Bounded: a page either returns changes or moves the cursor past events the caller does not see.
        for _ in 0..<10_000 {
            let page = try await feed.listChanges(ListChangesRequest(cursor: cursor, pageSize: pageSize))
            changes += page.changes
            cursor = page.nextCursor
            if !page.more { return (changes, cursor) }
        }
        Issue.record("the feed did not catch up")
        return (changes, cursor)
    }

    /// "kind id version operation what" per change, what being the record's kind or the tombstone's reason.
    static func summary(_ changes: [Change]) -> [String] {
        changes.map { change in
            let what: String
            switch change.record {
            case .tombstone(let tombstone)?: what = "tombstone \(tombstone.reason)"
            case nil: what = "nothing"
            default: what = "record"
            }
            return "\(change.recordKind) \(change.recordId) v\(change.version) \(change.operation) \(what)"
        }
    }

    /// "kind id version operation" per change.
    static func steps(_ changes: [Change]) -> [String] {
        changes.map { "\($0.recordKind) \($0.recordId) v\($0.version) \($0.operation)" }
    }

    @Test func everyCreateUpdateTransitionAndArchiveComesInCommitOrderWithTheRecordAsItIsNow() async throws {
        try await withStack { stack in
            let fixture = try await OpportunityRulesTests.fixture(stack, "Operations")
            let rep = fixture.tenant.keys[.rep]
            let accounts = stack.accounts(rep)
            let account = try await accounts.updateAccount(UpdateAccountRequest(
                account: Account(id: fixture.account.id, version: fixture.account.version, website: "https://operations.example"),
                updateMask: ["website"]
            ))
            let moved = try await fixture.deals.moveOpportunityStage(MoveOpportunityStageRequest(
                id: fixture.deal.id, version: fixture.deal.version, stageId: fixture.pipeline.stages[1].id
            ))
            let archived = try await stack.accounts(fixture.tenant.keys[.admin]).archiveAccount(ArchiveAccountRequest(id: account.id, version: account.version))

            let (changes, cursor) = try await Self.drain(stack.changes(rep))
            // One page: each record comes on its last change in it, the earlier carry nothing.
            #expect(Self.summary(changes) == [
                "account \(account.id) v1 create nothing",
                "opportunity \(moved.id) v1 create nothing",
                "account \(account.id) v2 update nothing",
                "opportunity \(moved.id) v2 stateChange record",
                "account \(account.id) v3 archive tombstone archived",
            ])
            #expect(archived.version == 3)
            // The deal as it is now.
            #expect(changes[3].record == .opportunity(try await fixture.deals.getOpportunity(GetOpportunityRequest(id: moved.id))))
            #expect(changes.allSatisfy { $0.commitTimeMs > 0 })
            // Caught up: the cursor stays and nothing comes again.
            let again = try await stack.changes(rep).listChanges(ListChangesRequest(cursor: cursor))
            #expect(again.changes.isEmpty && again.nextCursor == cursor && !again.more)
        }
    }

    @Test func aRepSeesOnlyItsOwnRecordsAndATombstoneForADealReassignedAway() async throws {
        try await withStack { stack in
            let fixture = try await OpportunityRulesTests.fixture(stack, "Reassign")
            let admin = stack.admin(fixture.tenant.keys[.admin])
            let other = try await admin.createUser(CreateUserRequest(user: User(displayName: "Other Rep", email: "other@reassign.example", role: .rep, teamId: "t2")))
            let otherKey = try await admin.issueApiKey(IssueApiKeyRequest(userId: other.id)).secret
            let theirs = try #require(try await stack.leads(otherKey).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("theirs"))).lead)
            let mine = try #require(try await stack.leads(fixture.tenant.keys[.rep]).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("mine"))).lead)
            let reassigned = try await stack.opportunities(fixture.tenant.keys[.admin]).assignOpportunity(AssignOpportunityRequest(
                id: fixture.deal.id, version: fixture.deal.version, ownerUserId: other.id
            ))

            let repView = try await Self.drain(stack.changes(fixture.tenant.keys[.rep]))
            // The account stays (reps read every account); the other rep's lead never shows;
            // the deal's creation is left out (it is not the rep's now) and its move away is a tombstone.
            #expect(Self.summary(repView.changes) == [
                "account \(fixture.account.id) v1 create record",
                "lead \(mine.id) v1 create record",
                "opportunity \(reassigned.id) v2 update tombstone outOfScope",
            ])
            let otherView = try await Self.drain(stack.changes(otherKey))
            #expect(Self.summary(otherView.changes) == [
                "account \(fixture.account.id) v1 create record",
                "opportunity \(reassigned.id) v1 create nothing",
                "lead \(theirs.id) v1 create record",
                "opportunity \(reassigned.id) v2 update record",
            ])
            // The manager of team t1 saw the deal while it was the rep's; t2 is not its team.
            let managerView = try await Self.drain(stack.changes(fixture.tenant.keys[.manager]))
            #expect(Self.summary(managerView.changes).filter { $0.hasPrefix("opportunity") } == [
                "opportunity \(reassigned.id) v2 update tombstone outOfScope",
            ])
            #expect(!managerView.changes.contains { $0.recordId == theirs.id })
        }
    }

    @Test func aPartnerSeesTheLeadsItPushedAndTheDealsMadeFromThemOnly() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Partner Feed")
            let partner = stack.leads(tenant.keys[.partner])
            let pushed = try #require(try await partner.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("p"))).lead)
            _ = try await stack.leads(tenant.keys[.marketing]).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("m")))
            let marked = try await stack.leads(tenant.keys[.marketing]).markLeadMql(MarkLeadMqlRequest(id: pushed.id, version: pushed.version))
            let insideSales = stack.leads(tenant.keys[.insideSales])
            let qualified = try await insideSales.qualifyLead(QualifyLeadRequest(id: marked.id, version: marked.version, needIdentified: true))
            let converted = try await insideSales.convertLead(ConvertLeadRequest(
                id: qualified.id,
                version: qualified.version,
                opportunity: ConvertLeadOpportunity(name: "From the partner", amount: Money(currencyCode: "USD", amountMinor: 100_000), expectedCloseDate: "2027-05-31"),
                ownerUserId: tenant.users[.insideSales]!.id
            ))
            let dealID = converted.opportunityId
            #expect(!dealID.isEmpty)

            let (changes, _) = try await Self.drain(stack.changes(tenant.keys[.partner]))
            // No accounts or contacts (a partner may not list them), nothing of marketing's.
            #expect(Set(changes.map(\.recordKind)) == [.lead, .opportunity])
            #expect(Set(changes.map(\.recordId)) == [pushed.id, dealID])
            let lastLead = try #require(changes.last { $0.recordKind == .lead })
            #expect(lastLead.record == .lead(try await partner.getLead(GetLeadRequest(id: pushed.id))))
            #expect(lastLead.operation == .stateChange)
        }
    }

    @Test func pagesFollowEachOtherWithoutMissOrRepeat() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Paging")
            let leads = stack.leads(tenant.keys[.marketing])
            var expected: [String] = []
            for index in 0..<23 {
                let lead = try #require(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("\(index)"))).lead)
                expected.append("lead \(lead.id) v1 create")
                if index % 4 == 0 {
                    let updated = try await leads.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: 1, notes: "called"), updateMask: ["notes"]))
                    expected.append("lead \(lead.id) v\(updated.version) update")
                }
            }
            let feed = stack.changes(tenant.keys[.admin])
            var cursor = ""
            var seen: [String] = []
            var pages = 0
            while pages < 100 {
                let page = try await feed.listChanges(ListChangesRequest(cursor: cursor, pageSize: 4))
                pages += 1
                #expect(page.changes.count <= 4)
                seen += Self.steps(page.changes)
                cursor = page.nextCursor
                if !page.more { break }
            }
            #expect(seen == expected)
            // A page reads four events of any kind (the tenant's users and keys too).
            let events = try await stack.tenants.read(tenant.tenant.id) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event")! }
            #expect(pages == events / 4 + 1)
            // A page of the default size returns the same history at once.
            #expect(Self.steps(try await Self.drain(feed).changes) == expected)
        }
    }

    @Test func aCursorWorksOnlyForItsTenantAndASizeMustNotBeNegative() async throws {
        try await withStack { stack in
            let first = try await stack.makeTenant("First Feed")
            let second = try await stack.makeTenant("Second Feed")
            _ = try await stack.leads(first.keys[.marketing]).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead()))
            let cursor = try await Self.drain(stack.changes(first.keys[.admin])).cursor
            #expect(!cursor.isEmpty)
            let elsewhere = try #require(await failure { try await stack.changes(second.keys[.admin]).listChanges(ListChangesRequest(cursor: cursor)) })
            #expect(elsewhere.code == .invalidArgument)
            #expect(elsewhere.details.fieldViolations.map(\.field) == ["cursor"])
            for garbage in ["x", "!!!", String(repeating: "A", count: 300)] {
                #expect(await statusOf { try await stack.changes(first.keys[.admin]).listChanges(ListChangesRequest(cursor: garbage)) } == .invalidArgument)
            }
            let negative = try #require(await failure { try await stack.changes(first.keys[.admin]).listChanges(ListChangesRequest(pageSize: -1)) })
            #expect(negative.details.fieldViolations.map(\.field) == ["page_size"])
            // The operator reads no tenant's business data.
            #expect(await statusOf { try await stack.changes(stack.operatorKey).listChanges(ListChangesRequest()) } == .permissionDenied)
        }
    }

    @Test func everyCursorFromBeforeARestoreIsExpiredAndANewFeedReadsTheRestoredHistory() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Restore Feed")
            let leads = stack.leads(tenant.keys[.marketing])
            let feed = stack.changes(tenant.keys[.admin])
            let before = try #require(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("before"))).lead)
            let early = try await Self.drain(feed).cursor
            let operatorAdmin = stack.admin(stack.operatorKey)
            let backup = try #require(try await operatorAdmin.backupTenant(BackupTenantRequest(tenantId: tenant.tenant.id)).backup)
            _ = try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("after")))
            let late = try await Self.drain(feed, from: early).cursor
            _ = try await operatorAdmin.restoreTenant(RestoreTenantRequest(tenantId: tenant.tenant.id, backupId: backup.backupId))

            let later = try #require(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("later"))).lead)
            // Also the early cursor, whose position the restored file still holds: the
            // copy kept from it may have versions the restored history never had.
            for cursor in [late, early] {
                let expired = try #require(await failure { try await feed.listChanges(ListChangesRequest(cursor: cursor)) })
                #expect(expired.code == .failedPrecondition)
                #expect(expired.details.reason == "CURSOR_EXPIRED")
            }
            let restarted = try await Self.drain(feed)
            #expect(restarted.changes.map(\.recordId) == [before.id, later.id])
            // A cursor made after the restore reads on.
            let last = try #require(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("last"))).lead)
            #expect(try await Self.drain(feed, from: restarted.cursor).changes.map(\.recordId) == [last.id])
        }
    }

    @Test func aPartnerMovesPastEventsOfKindsItDoesNotSeeInBoundedPagesAndItsCursorMoves() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Unseen Kinds")
            let partnerLeads = stack.leads(tenant.keys[.partner])
            let feed = stack.changes(tenant.keys[.partner])
            _ = try await partnerLeads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("first")))
            let start = try await Self.drain(feed).cursor
            // Accounts: a partner may not list them, so none is in its feed.
            let accounts = stack.accounts(tenant.keys[.rep])
            for index in 0..<12 {
                _ = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Unseen \(index)")))
            }
            let unseen = try await stack.tenants.read(tenant.tenant.id) { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event WHERE record_kind = ?", arguments: [RecordKind.account.rawValue])!
            }
            var cursor = start
            var pages = 0
            while pages < 100 {
                let page = try await feed.listChanges(ListChangesRequest(cursor: cursor, pageSize: 5))
                pages += 1
                #expect(page.changes.isEmpty)
                // Each page moves past the events it read, though it shows none.
                if page.more { #expect(page.nextCursor != cursor) }
                cursor = page.nextCursor
                if !page.more { break }
            }
            #expect(pages == unseen / 5 + 1)
            #expect(cursor != start)
            // Caught up: the next poll reads nothing again, and a new lead comes at once.
            let again = try await feed.listChanges(ListChangesRequest(cursor: cursor, pageSize: 5))
            #expect(again.changes.isEmpty && again.nextCursor == cursor && !again.more)
            let next = try #require(try await partnerLeads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("next"))).lead)
            let page = try await feed.listChanges(ListChangesRequest(cursor: cursor, pageSize: 5))
            #expect(page.changes.map(\.recordId) == [next.id])
        }
    }

    @Test func aRecordSavedManyTimesComesOnceInAPageOnItsLastChange() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Many Saves")
            let leads = stack.leads(tenant.keys[.marketing])
            var lead = try #require(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("big"))).lead)
            for index in 0..<40 {
                let notes = String(repeating: "n", count: 9_990) + "\(index)"
                lead = try await leads.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, notes: notes), updateMask: ["notes"]))
            }
            let page = try await stack.changes(tenant.keys[.admin]).listChanges(ListChangesRequest())
            #expect(page.changes.map(\.version) == Array(1...41))
            #expect(page.changes.dropLast().allSatisfy { $0.record == nil })
            #expect(page.changes.last?.record == .lead(try await leads.getLead(GetLeadRequest(id: lead.id))))
            // One copy of the 10 KB record, not 41.
            #expect(page.serializedBytes().count < 2 * 10_000 + 41 * 200)
        }
    }

    @Test func aPageStopsAtItsByteBudgetAndTheNextGoesOnFromItsLastChange() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Byte Budget")
            let leads = stack.leads(tenant.keys[.marketing])
            let notes = String(repeating: "b", count: 10_000)
            var created: [String] = []
            // 250 leads of over 10 KB each: over 2.5 MB, more than one page's 2 MiB.
            for index in 0..<250 {
                var sample = LeadLifecycleTests.sampleLead("\(index)")
                sample.notes = notes
                created.append(try #require(try await leads.createLead(CreateLeadRequest(lead: sample)).lead).id)
            }
            let feed = stack.changes(tenant.keys[.admin])
            let first = try await feed.listChanges(ListChangesRequest(pageSize: 1_000))
            #expect(first.serializedBytes().count <= 2 * 1024 * 1024)
            #expect(first.changes.count > 150 && first.changes.count < 250)
            #expect(first.more)
            #expect(first.changes.allSatisfy { $0.record != nil })
            let rest = try await Self.drain(feed, from: first.nextCursor, pageSize: 1_000)
            #expect((first.changes + rest.changes).map(\.recordId) == created)
        }
    }

    @Test func aPresentedQuotePastItsDateIsExpiredInTheFeedAsInTheList() async throws {
        try await withStack { stack in
            let fixture = try await QuoteWorkflowTests.fixture(stack, "Feed Expiry")
            let settings = stack.settings(fixture.tenant.keys[.admin])
            // Presented in UTC−11, read in UTC+14 (a day later at least): expired.
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            let pagoPago = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(settings: TenantSettings(version: current.version, timeZone: "Pacific/Pago_Pago"), updateMask: ["time_zone"]))
            var quote = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(
                opportunityId: fixture.deal.id, name: "Short", lines: [QuoteLine(quantityMilli: 1000, unitPrice: QuoteWorkflowTests.yen(100), taxRateBps: 1000)],
                validUntilDate: OpportunityRecordsClock.today(in: "Pacific/Pago_Pago")
            )))
            quote = try await fixture.repQuotes.submitQuoteForApproval(SubmitQuoteForApprovalRequest(id: quote.id, version: quote.version))
            quote = try await fixture.repQuotes.presentQuote(PresentQuoteRequest(id: quote.id, version: quote.version))
            #expect(quote.status == .presented)
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(settings: TenantSettings(version: pagoPago.version, timeZone: "Pacific/Kiritimati"), updateMask: ["time_zone"]))

            let changes = try await Self.drain(stack.changes(fixture.tenant.keys[.rep])).changes
            let last = try #require(changes.last { $0.recordId == quote.id })
            guard case .quote(let seen)? = last.record else {
                Issue.record("no quote on the quote's last change")
                return
            }
            #expect(seen.status == .expired)
            #expect(seen == (try await fixture.repQuotes.listQuotes(ListQuotesRequest()).quotes.first { $0.id == quote.id }))
            // Expiry is never stored: it makes no change of its own.
            #expect(last.operation == .stateChange && last.version == quote.version)
        }
    }

    @Test func anAttendeeTakenOffAMeetingGetsATombstoneAndNothingAfter() async throws {
        try await withStack { stack in
            let fixture = try await ActivityTests.fixture(stack, "Attendees")
            let manager = stack.activities(fixture.tenant.keys[.manager])
            var visit = ActivityTests.visit(at: ActivityTests.monday9)
            visit.attendeeUserIds = [fixture.rep.id]
            let meeting = try #require(try await manager.createActivity(CreateActivityRequest(activity: visit)).activity)
            let feed = stack.changes(fixture.tenant.keys[.rep])
            let seen = try await Self.drain(feed)
            #expect(seen.changes.last?.recordId == meeting.id)
            #expect(seen.changes.last?.record == .activity(try await fixture.activities.getActivity(GetActivityRequest(id: meeting.id))))
            var without = Activity()
            without.id = meeting.id
            without.version = meeting.version
            let removed = try await manager.updateActivity(UpdateActivityRequest(activity: without, updateMask: ["attendee_user_ids"]))
            var renamed = Activity()
            renamed.id = meeting.id
            renamed.version = removed.version
            renamed.subject = "Without the rep"
            _ = try await manager.updateActivity(UpdateActivityRequest(activity: renamed, updateMask: ["subject"]))
            // The removal is a tombstone; the later change of a meeting the rep no longer sees is left out.
            #expect(Self.summary(try await Self.drain(feed, from: seen.cursor).changes) == [
                "activity \(meeting.id) v\(removed.version) update tombstone outOfScope",
            ])
        }
    }

    @Test func aWriteRolledBackToItsSavepointLeavesNoEventAndPositionsFollowCommitOrder() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Savepoints")
            let tenantID = tenant.tenant.id
            struct Refused: Error {}
            // Concurrent writes share group-commit transactions; every third one appends
            // its event and then fails, so its savepoint is rolled back.
            let written = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<60 {
                    group.addTask {
                        do {
                            return try await stack.tenants.write(tenantID) { db in
                                let event = AuditLog.stamped(AuditEvent(actorUserId: "w", method: "test", recordKind: .lead, recordId: "lead_w\(index)"))
                                try AuditLog.insert(db, event)
                                if index % 3 == 0 { throw Refused() }
                                return event.id
                            }
                        } catch is Refused {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: Set<String>()) { if let id = $1 { $0.insert(id) } }
            }
            let events = try await stack.tenants.read(tenantID) { db in try AuditLog.events(db, after: 0, limit: 1_000) }.filter { $0.event.method == "test" }
            #expect(Set(events.map(\.event.id)) == written)
            #expect(events.count == 40)
            // Positions grow with no gap a rolled-back write could later fill.
            let positions = events.map(\.position)
            #expect(positions == positions.sorted())
            #expect(Set(positions).count == positions.count)
            let all = try await stack.tenants.read(tenantID) { db in try Int64.fetchAll(db, sql: "SELECT rowid FROM audit_event ORDER BY rowid") }
            #expect(all == Array(1...Int64(all.count)))
        }
    }
}
