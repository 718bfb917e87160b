import Foundation
import SFAStubs
import Synchronization
import Testing

/// The issue's acceptance test: partner copies kept by the change feed while writers
/// run end equal to what the lists show each caller, and a feed followed page by
/// page while the writes commit holds every change once, in the order a reading
/// afterwards gives.
@Suite struct ChangeFeedMirrorTests {
    /// A copy of the records one caller sees, kept from the feed alone.
    struct Mirror {
        var records: [String: Change.Record] = [:]
        /// Every change applied, as "kind id version operation", in the order read.
        var applied: [String] = []
        var cursor = ""

        mutating func apply(_ page: ListChangesResponse) {
            for change in page.changes {
                applied.append("\(change.recordKind) \(change.recordId) v\(change.version) \(change.operation)")
                let key = "\(change.recordKind) \(change.recordId)"
                switch change.record {
                // No record: a later change of it in this page carries it.
                case nil: break
                case .tombstone?: records[key] = nil
                case let record?: records[key] = record
                }
            }
            cursor = page.nextCursor
        }
    }

    @Test(.timeLimit(.minutes(3))) func copiesKeptByTheFeedUnderConcurrentWritesEqualTheListsAtTheEnd() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Mirror")
            let admin = stack.admin(tenant.keys[.admin])
            let repB = try await admin.createUser(CreateUserRequest(user: User(displayName: "Rep B", email: "rep.b@mirror.example", role: .rep, teamId: "t1")))
            let repBKey = try await admin.issueApiKey(IssueApiKeyRequest(userId: repB.id)).secret
            let repA = tenant.users[.rep]!
            let manager = stack.leads(tenant.keys[.manager])
            let writersDone = Flag()

            /// Leads of one rep: created, updated, and every third handed to the other rep by the manager.
            @Sendable func repWrites(_ key: String, _ tag: String, handOverTo other: String) async throws {
                let leads = stack.leads(key)
                for index in 0..<24 {
                    let lead = try #require(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("\(tag)\(index)"))).lead)
                    let updated = try await leads.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, notes: "called \(index)"), updateMask: ["notes"]))
                    if index % 3 == 0 {
                        _ = try await manager.assignLead(AssignLeadRequest(id: updated.id, version: updated.version, ownerUserId: other))
                    }
                }
            }
            /// Accounts a rep creates, every fourth archived by the manager.
            @Sendable func accountWrites() async throws {
                let accounts = stack.accounts(tenant.keys[.rep])
                for index in 0..<16 {
                    let account = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Mirror Customer \(index)")))
                    if index % 4 == 0 {
                        _ = try await stack.accounts(tenant.keys[.manager]).archiveAccount(ArchiveAccountRequest(id: account.id, version: account.version))
                    }
                }
            }
            @Sendable func partnerWrites() async throws {
                let leads = stack.leads(tenant.keys[.partner])
                for index in 0..<16 {
                    _ = try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("P\(index)")))
                }
            }
            let followers = [tenant.keys[.rep]!, tenant.keys[.partner]!, tenant.keys[.admin]!]
            let following = Task {
                try await withThrowingTaskGroup(of: (Int, Mirror).self) { group in
                    for (index, key) in followers.enumerated() {
                        group.addTask { (index, try await Self.follow(stack.changes(key), until: writersDone)) }
                    }
                    return try await group.reduce(into: [Int: Mirror]()) { $0[$1.0] = $1.1 }
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await repWrites(followers[0], "A", handOverTo: repB.id) }
                group.addTask { try await repWrites(repBKey, "B", handOverTo: repA.id) }
                group.addTask { try await accountWrites() }
                group.addTask { try await partnerWrites() }
                try await group.waitForAll()
            }
            writersDone.set()
            let mirrors = try await following.value
            let (rep, partner, everything) = (mirrors[0]!, mirrors[1]!, mirrors[2]!)

            // The rep's copy: its own live leads and every live account, as the lists show them now.
            #expect(rep.records == (try await Self.listed(stack, tenant.keys[.rep], accounts: true)))
            // 24 own leads, 8 of them handed to rep B and 8 of B's handed over; 12 live accounts.
            let repRecords: Int = 24 - 8 + 8 + 12
            #expect(rep.records.count == repRecords)
            #expect(partner.records == (try await Self.listed(stack, tenant.keys[.partner], accounts: false)))
            #expect(partner.records.count == 16)
            #expect(everything.records == (try await Self.listed(stack, tenant.keys[.admin], accounts: true)))

            // Read page by page during the writes, the history is the one read at once
            // afterwards: nothing missed, nothing twice, the same order.
            let afterwards = try await ChangeFeedTests.drain(stack.changes(tenant.keys[.admin]), pageSize: 1_000)
            let expected = afterwards.changes.map { "\($0.recordKind) \($0.recordId) v\($0.version) \($0.operation)" }
            #expect(everything.applied == expected)
            #expect(Set(everything.applied).count == everything.applied.count)
            // 48 leads created and updated, 16 handed over, 16 accounts with 4 archived, 16 pushed.
            let events: Int = 48 * 2 + 16 + 16 + 4 + 16
            #expect(expected.count == events)
            // The rep's changes arrived once each too.
            #expect(Set(rep.applied).count == rep.applied.count)
            #expect(afterwards.cursor == everything.cursor)
        }
    }

    /// Set once the writers are done.
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
                if !writersFinished { try await Task.sleep(for: .milliseconds(2)) }
            }
        }
        #expect(caughtUpAfterWriters)
        return mirror
    }

    /// What the lists show `key`: its live leads (not archived) and, when it reads them,
    /// live accounts, keyed as the mirror keys them.
    static func listed(_ stack: TestStack, _ key: String?, accounts: Bool) async throws -> [String: Change.Record] {
        var records: [String: Change.Record] = [:]
        var token = ""
        repeat {
            let page = try await stack.leads(key).listLeads(ListLeadsRequest(pageSize: 500, pageToken: token))
            for lead in page.leads where lead.status != .archived { records["lead \(lead.id)"] = .lead(lead) }
            token = page.nextPageToken
        } while !token.isEmpty
        guard accounts else { return records }
        repeat {
            let page = try await stack.accounts(key).listAccounts(ListAccountsRequest(pageSize: 500, pageToken: token))
            for account in page.accounts { records["account \(account.id)"] = .account(account) }
            token = page.nextPageToken
        } while !token.isEmpty
        return records
    }
}
