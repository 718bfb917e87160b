import Foundation
import SFALoad
import SFAStubs
import Synchronization
import Testing

/// The issue's acceptance test: partner copies kept by the change feed under a running
/// sfa-load sales-day mix end equal to what the lists show each caller, and a feed
/// followed page by page while the writes commit holds every acknowledged change once,
/// in the order a reading afterwards gives.
@Suite struct ChangeFeedMirrorTests {
    /// A record of the feed, as the copies key them.
    struct RecordKey: Hashable, CustomStringConvertible {
        var kind: RecordKind
        var id: String
        var description: String { "\(kind) \(id)" }
    }

    /// A copy of the records one caller sees, kept from the feed alone.
    struct Mirror {
        var records: [RecordKey: Change.Record] = [:]
        /// Every change applied, in the order read.
        var applied: [Change] = []
        var cursor = ""

        mutating func apply(_ page: ListChangesResponse) {
            for change in page.changes {
                applied.append(change)
                let key = RecordKey(kind: change.recordKind, id: change.recordId)
                switch change.record {
                // No record: a later change of it in this page carries it.
                case nil: break
                case .tombstone?: records[key] = nil
                case let record?: records[key] = record
                }
            }
            cursor = page.nextCursor
        }

        /// The ids of records that got a tombstone for `reason`.
        func tombstoned(_ reason: TombstoneReason) -> Set<String> {
            Set(applied.filter { $0.record == .tombstone(Tombstone(reason: reason)) }.map(\.recordId))
        }
    }

    @Test(.timeLimit(.minutes(5))) func copiesKeptByTheFeedUnderASalesDayMixEqualTheListsAtTheEnd() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Mirror")
            let (adminKey, repKey, partnerKey) = (tenant.keys[.admin]!, tenant.keys[.rep]!, tenant.keys[.partner]!)
            let admin = stack.admin(adminKey)
            let repB = try await admin.createUser(CreateUserRequest(user: User(displayName: "Rep B", email: "rep.b@mirror.example", role: .rep, teamId: "t1")))
            let repBKey = try await admin.issueApiKey(IssueApiKeyRequest(userId: repB.id)).secret
            // The team whose day the mix plays: two reps and their manager, each with records of their own;
            // by the skew, rep A (the first) makes about half the calls.
            let seeding = stack.client(nil)
            let tenantID = tenant.tenant.id
            async let seededRepA = TenantFixture.seeded(through: seeding, key: repKey, tenantID: tenantID, userID: tenant.users[.rep]!.id, name: "Rep A")
            async let seededRepB = TenantFixture.seeded(through: seeding, key: repBKey, tenantID: tenantID, userID: repB.id, name: "Rep B")
            async let seededManager = TenantFixture.seeded(
                through: seeding, key: tenant.keys[.manager]!, tenantID: tenantID, userID: tenant.users[.manager]!.id, name: "Manager"
            )
            let team = try await [seededRepA, seededRepB, seededManager]
            await seeding.close()
            let repA = team[0]
            let salesDay = try Scenario.named("sales-day")
            // The partner pushes leads through sfa-load's one-method scenario.
            let partner = TenantFixture(tenantId: tenant.tenant.id, name: "Partner", apiKey: partnerKey, userId: tenant.users[.partner]!.id)
            let pushes = try Scenario.method(
                "LeadService/CreateLead",
                body: #"{"lead": {"first_name": "{{name}}", "last_name": "{{word}}", "email": "{{email}}", "company_name": "{{company}}", "#
                    + #""source": "LEAD_SOURCE_PARTNER"}, "allow_duplicate": true}"#
            )
            // Where the copies' history starts to hold only what the runs below wrote.
            let afterSetup = try await ChangeFeedTests.drain(stack.changes(adminKey)).cursor

            let followers = [repKey, partnerKey, adminKey]
            let writersDone = Flag()
            let following = Task {
                try await withThrowingTaskGroup(of: (Int, Mirror).self) { group in
                    for (index, key) in followers.enumerated() {
                        group.addTask { (index, try await Self.follow(stack.changes(key), until: writersDone)) }
                    }
                    return try await group.reduce(into: [Int: Mirror]()) { $0[$1.0] = $1.1 }
                }
            }
            let writes = AcknowledgedCalls()
            let runsDone = Flag()
            let teamPlan = LoadPlan(port: stack.port, connections: 2, inFlight: 8, stop: .count(Self.teamCalls))
            let partnerPlan = LoadPlan(port: stack.port, inFlight: 2, stop: .count(Self.partnerPushes))
            async let teamDay = LoadRunner.run(plan: teamPlan, scenario: salesDay, tenants: team, skew: .zipf(exponent: 1), seed: 18, observer: writes.observer)
            async let partnerDay = LoadRunner.run(plan: partnerPlan, scenario: pushes, tenants: [partner], skew: .uniform, seed: 81, observer: writes.observer)
            // Meanwhile the admin takes records out of the narrow callers' views.
            let leaving = Task { try await Self.takeOutOfView(stack, adminKey, writes, repA: repA.apiKey, handTo: repB.id, partner: partnerKey, until: runsDone) }
            let (teamOutcome, partnerOutcome) = try await (teamDay, partnerDay)
            runsDone.set()
            let left = try await leaving.value
            writersDone.set()
            let mirrors = try await following.value
            let (rep, partnerCopy, everything) = (mirrors[0]!, mirrors[1]!, mirrors[2]!)

            // The mix really wrote, and nothing failed but stage moves that kept conflicting.
            for (method, least) in [
                (LeadServiceMethods.createLead, 5), (ActivityServiceMethods.createActivity, 5), (ConsultationServiceMethods.createConsultation, 1),
                (QuoteServiceMethods.createQuote, 1), (OpportunityServiceMethods.moveOpportunityStage, 1),
            ] {
                #expect(writes.count(of: method) >= least, "\(method)")
            }
            #expect(Set(teamOutcome.recorder.failures.keys).isSubset(of: ["MoveOpportunityStage"]), "\(teamOutcome.recorder.failures)")
            #expect(partnerOutcome.recorder.failed == 0 && partnerOutcome.recorder.succeeded == Self.partnerPushes, "\(partnerOutcome.recorder.failures)")
            #expect(!left.handedOver.isEmpty && !left.archived.isEmpty && !left.partnerArchived.isEmpty, "\(left)")

            // Each copy is what that caller's lists show now, kind by kind.
            async let repListed = Self.listed(stack, repKey)
            async let partnerListed = Self.listed(stack, partnerKey)
            async let adminListed = Self.listed(stack, adminKey)
            #expect(Self.comparable(rep.records) == (try await repListed))
            #expect(Self.comparable(partnerCopy.records) == (try await partnerListed))
            #expect(Self.comparable(everything.records) == (try await adminListed))
            // The partner's copy: the leads it pushed, less those archived.
            #expect(partnerCopy.records.count == Self.partnerPushes - left.partnerArchived.count)
            // The rep's copy: every account (one per member of the team), its own leads and deals, and what its
            // calls created, less what left its view.
            let repWrote = writes.all.filter { $0.tenant.apiKey == repA.apiKey }.flatMap { WrittenRecord.all(in: $0.response) }.map(\.id)
            let repOwns = Set(repWrote + repA.leads + repA.opportunities).subtracting(left.handedOver).subtracting(left.archived)
            #expect(rep.records.count == repOwns.count + team.count)

            // Read page by page during the writes, the history is the one read at once
            // afterwards: nothing missed, nothing twice, the same order.
            let afterwards = try await ChangeFeedTests.drain(stack.changes(adminKey), pageSize: 1_000)
            #expect(ChangeFeedTests.summary(everything.applied.map(\.withoutRecord)) == ChangeFeedTests.summary(afterwards.changes.map(\.withoutRecord)))
            #expect(afterwards.cursor == everything.cursor)
            // Each acknowledged write is one change of the history since the setup, and there is no other.
            let sinceSetup = try await ChangeFeedTests.drain(stack.changes(adminKey), from: afterSetup, pageSize: 1_000).changes
            let acknowledged = writes.records + left.records
            #expect(Set(sinceSetup.map(\.written)) == Set(acknowledged))
            #expect(sinceSetup.count == acknowledged.count)
            // A record's versions follow one another, and its copy holds the last.
            var versions: [RecordKey: [Int64]] = [:]
            for change in everything.applied { versions[RecordKey(kind: change.recordKind, id: change.recordId), default: []].append(change.version) }
            for (key, seen) in versions { #expect(seen == Array(1...Int64(seen.count)), "\(key): \(seen)") }
            for (key, record) in everything.records { #expect(record.version == versions[key]?.last, "\(key)") }
            // No change twice in the narrow copies either (changes of records they never saw are left out).
            for copy in [rep, partnerCopy] { #expect(Set(copy.applied.map(\.written)).count == copy.applied.count) }

            // Tombstones for exactly what left each view.
            #expect(rep.tombstoned(.outOfScope) == left.handedOver)
            #expect(rep.tombstoned(.archived) == left.archived)
            #expect(partnerCopy.tombstoned(.archived) == left.partnerArchived)
            #expect(partnerCopy.tombstoned(.outOfScope).isEmpty)
        }
    }

    /// Calls of the team's sales day, and leads the partner pushes meanwhile.
    static let teamCalls = 240
    static let partnerPushes = 24

    /// What the admin took out of the narrow callers' views while the mix ran.
    struct LeftView: CustomStringConvertible {
        var handedOver: Set<String> = []
        var archived: Set<String> = []
        var partnerArchived: Set<String> = []
        /// The records as the admin's writes left them.
        var records: [WrittenRecord] = []
        var description: String { "handed over \(handedOver.count), archived \(archived.count), partner's archived \(partnerArchived.count)" }
    }

    /// As the runs acknowledge new leads, the admin hands every third of rep A's to rep B
    /// and archives the next one (four of each at most), and archives every fourth lead
    /// the partner pushed (four at most); once the runs are done it deals with what they
    /// left and stops.
    static func takeOutOfView(
        _ stack: TestStack, _ adminKey: String, _ writes: AcknowledgedCalls, repA: String, handTo repB: String, partner: String, until runsDone: Flag
    ) async throws -> LeftView {
        let leads = stack.leads(adminKey)
        var left = LeftView()
        var seen = 0
        var (repLeads, partnerLeads) = (0, 0)
        var lastRound = false
        for _ in 0..<30_000 where !lastRound {
            lastRound = runsDone.isSet
            let replies = writes.all
            for reply in replies[seen...] where reply.method == LeadServiceMethods.createLead {
                guard let lead = (reply.response as? CreateLeadResponse)?.lead else { continue }
                if reply.tenant.apiKey == repA {
                    repLeads += 1
                    if repLeads % 3 == 1, left.handedOver.count < 4 {
                        let handed = try await leads.assignLead(AssignLeadRequest(id: lead.id, version: lead.version, ownerUserId: repB))
                        left.handedOver.insert(lead.id)
                        left.records += WrittenRecord.all(in: handed)
                    } else if repLeads % 3 == 2, left.archived.count < 4 {
                        left.archived.insert(lead.id)
                        left.records += WrittenRecord.all(in: try await archive(lead, leads))
                    }
                } else if reply.tenant.apiKey == partner {
                    partnerLeads += 1
                    if partnerLeads % 4 == 1, left.partnerArchived.count < 4 {
                        left.partnerArchived.insert(lead.id)
                        left.records += WrittenRecord.all(in: try await archive(lead, leads))
                    }
                }
            }
            seen = replies.count
            if !lastRound { try await Task.sleep(for: .milliseconds(10)) }
        }
        return left
    }

    private static func archive(_ lead: Lead, _ leads: LeadServiceClient) async throws -> Lead {
        try await leads.disqualifyLead(DisqualifyLeadRequest(id: lead.id, version: lead.version, reason: "not a fit", target: .archived))
    }

    /// Set once.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    /// Follows a feed in small pages while the writers run, then to its end.
    static func follow(_ feed: ChangeServiceClient, until writersDone: Flag) async throws -> Mirror {
        var mirror = Mirror()
        var caughtUpAfterWriters = false
        var rounds = 0
        while !caughtUpAfterWriters, rounds < 100_000 {
            rounds += 1
            // Read before the page: a page that follows the writers' end has every write.
            let writersFinished = writersDone.isSet
            let page = try await feed.listChanges(ListChangesRequest(cursor: mirror.cursor, pageSize: 5))
            mirror.apply(page)
            if !page.more {
                caughtUpAfterWriters = writersFinished
                if !writersFinished { try await Task.sleep(for: .milliseconds(10)) }
            }
        }
        #expect(caughtUpAfterWriters)
        return mirror
    }

    /// What the lists show `key` now, of every kind the feed carries, keyed as the
    /// copies key them, without derived fields: none of a kind whose list the caller
    /// may not call, no archived lead (the lists of the other kinds leave archived
    /// records out).
    static func listed(_ stack: TestStack, _ key: String) async throws -> [RecordKey: Change.Record] {
        let client = stack.client(key)
        defer { Task { await client.close() } }
        var records: [RecordKey: Change.Record] = [:]
        /// Every page of one kind's list, its records wrapped as the feed wraps them (nil: left out).
        func add<Page, Record>(
            _ kind: RecordKind, _ listed: KeyPath<Page, [Record]>, _ id: KeyPath<Record, String>, _ next: KeyPath<Page, String>,
            as wrap: (Record) -> Change.Record?, _ list: (String) async throws -> Page
        ) async throws {
            var token = ""
            repeat {
                let page: Page
                do {
                    page = try await list(token)
                } catch let error as RPCError where error.code == .permissionDenied && token.isEmpty {
                    return
                }
                for record in page[keyPath: listed] {
                    if let wrapped = wrap(record) { records[RecordKey(kind: kind, id: record[keyPath: id])] = withoutDerivedFields(wrapped) }
                }
                token = page[keyPath: next]
            } while !token.isEmpty
        }
        let size: Int32 = 500
        try await add(.lead, \.leads, \.id, \.nextPageToken, as: { $0.status == .archived ? nil : .lead($0) }) {
            try await LeadServiceClient(client).listLeads(ListLeadsRequest(pageSize: size, pageToken: $0))
        }
        try await add(.account, \.accounts, \.id, \.nextPageToken, as: Change.Record.account) {
            try await AccountServiceClient(client).listAccounts(ListAccountsRequest(pageSize: size, pageToken: $0))
        }
        try await add(.contact, \.contacts, \.id, \.nextPageToken, as: Change.Record.contact) {
            try await ContactServiceClient(client).listContacts(ListContactsRequest(pageSize: size, pageToken: $0))
        }
        try await add(.opportunity, \.opportunities, \.id, \.nextPageToken, as: Change.Record.opportunity) {
            try await OpportunityServiceClient(client).listOpportunities(ListOpportunitiesRequest(pageSize: size, pageToken: $0))
        }
        try await add(.activity, \.activities, \.id, \.nextPageToken, as: Change.Record.activity) {
            try await ActivityServiceClient(client).listActivities(ListActivitiesRequest(pageSize: size, pageToken: $0))
        }
        try await add(.consultation, \.consultations, \.id, \.nextPageToken, as: Change.Record.consultation) {
            try await ConsultationServiceClient(client).listConsultations(ListConsultationsRequest(pageSize: size, pageToken: $0))
        }
        try await add(.quote, \.quotes, \.id, \.nextPageToken, as: Change.Record.quote) {
            try await QuoteServiceClient(client).listQuotes(ListQuotesRequest(pageSize: size, pageToken: $0))
        }
        try await add(.proposal, \.proposals, \.id, \.nextPageToken, as: Change.Record.proposal) {
            try await ProposalServiceClient(client).listProposals(ListProposalsRequest(pageSize: size, pageToken: $0))
        }
        return records
    }

    /// A copy as `listed` gives the lists.
    static func comparable(_ records: [RecordKey: Change.Record]) -> [RecordKey: Change.Record] {
        records.mapValues(withoutDerivedFields)
    }

    /// The record without the fields derived from other records, which move without a
    /// change of their own (docs/domain.md, "Change feed"): a deal's activity times
    /// and close-date pushes, a lead's first touch.
    static func withoutDerivedFields(_ record: Change.Record) -> Change.Record {
        switch record {
        case .opportunity(var deal):
            (deal.lastActivityTimeMs, deal.nextActivityTimeMs, deal.closeDatePushCount) = (0, 0, 0)
            return .opportunity(deal)
        case .lead(var lead):
            lead.firstTouchTimeMs = 0
            return .lead(lead)
        default:
            return record
        }
    }
}

extension Change {
    /// The change without its record, to compare histories read at different times.
    var withoutRecord: Change {
        var change = self
        change.record = nil
        return change
    }

    /// The record and version this change left.
    var written: WrittenRecord { WrittenRecord(kind: recordKind, id: recordId, version: version) }
}

extension Change.Record {
    /// The record's version; nil for a tombstone.
    var version: Int64? {
        switch self {
        case .tombstone: nil
        case .lead(let record): record.version
        case .account(let record): record.version
        case .contact(let record): record.version
        case .opportunity(let record): record.version
        case .activity(let record): record.version
        case .consultation(let record): record.version
        case .quote(let record): record.version
        case .proposal(let record): record.version
        }
    }
}
