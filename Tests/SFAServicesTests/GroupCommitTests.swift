import Foundation
import GRDB
import Logging
import Prometheus
import SFAStorage
import SFAStubs
import SFATestSupport
import Synchronization
import Testing

/// Group commit (TenantDatabases.write): concurrent writes to one tenant share a
/// transaction, each in its own savepoint.
@Suite struct GroupCommitTests {
    /// Counts the commits of a database.
    private final class CommitCounter: TransactionObserver, Sendable {
        private let commits = Atomic<Int>(0)
        var count: Int { commits.load(ordering: .relaxed) }
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { commits.add(1, ordering: .relaxed) }
        func databaseDidRollback(_ db: Database) {}
    }

    private struct Refused: Error {}

    /// Set once the first write holds the writer.
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// Calls about to ask for the writer.
    private final class Arrivals: Sendable {
        let count = Atomic<Int>(0)
    }

    @Test func aFailingCallInABatchLeavesTheOtherCallsOfItsTransactionCommitted() async throws {
        let directory = NSTemporaryDirectory() + "sfa-group-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = PrometheusCollectorRegistry()
        let tenants = try TenantDatabases(
            storage: StorageConfiguration(dataDirectory: directory, metricsFactory: PrometheusMetricsFactory(registry: registry)),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let tenantID = RecordID.make("ten")
        let counter = CommitCounter()
        try await tenants.withDatabase(tenantID) { pool in
            try await pool.write { db in
                try db.execute(sql: "CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
                db.add(transactionObserver: counter, extent: .databaseLifetime)
            }
        }
        // The table's own commit, counted as the observer came in its transaction.
        let setUpCommits = counter.count

        // The first write holds the writer while the others queue behind it, so that
        // they meet in the following transaction(s): until all 20 are about to ask for
        // it (60 s at most), and a little longer for them to be queued, however late
        // the machine's load lets their tasks run. Odd calls write, then throw.
        let started = Flag()
        let arrivals = Arrivals()
        let allArrived = Flag()
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            group.addTask {
                try await tenants.write(tenantID) { db in
                    started.value.store(true, ordering: .releasing)
                    let deadline = ContinuousClock.now + .seconds(60)
                    while arrivals.count.load(ordering: .acquiring) < 20, ContinuousClock.now < deadline {
                        Thread.sleep(forTimeInterval: 0.001)
                    }
                    allArrived.value.store(arrivals.count.load(ordering: .acquiring) == 20, ordering: .relaxed)
                    Thread.sleep(forTimeInterval: 0.05)
                    try db.execute(sql: "INSERT INTO note (id, text) VALUES (0, 'first')")
                }
                return (0, true)
            }
            while !started.value.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
            for call in 1...20 {
                group.addTask {
                    arrivals.count.add(1, ordering: .releasing)
                    do {
                        try await tenants.write(tenantID) { db in
                            try db.execute(sql: "INSERT INTO note (id, text) VALUES (?, 'call')", arguments: [call])
                            if call % 2 == 1 { throw Refused() }
                        }
                        return (call, true)
                    } catch is Refused {
                        return (call, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }

        let cameInTime = allArrived.value.load(ordering: .relaxed)
        #expect(cameInTime, "the other calls did not come within 60 s")
        #expect(results.filter(\.value).keys.sorted() == [0] + stride(from: 2, through: 20, by: 2))
        let stored = try await tenants.read(tenantID) { db in try Int.fetchAll(db, sql: "SELECT id FROM note ORDER BY id") }
        #expect(stored == [0] + Array(stride(from: 2, through: 20, by: 2)))
        // Fewer commits than calls: calls shared transactions.
        #expect(counter.count < 21)
        // The metrics show it: one sample per batch (here each one transaction), each
        // the writes it took (the refused ones too), and the file's one open.
        let metrics = PrometheusSamples(registry.emitToString())
        #expect(metrics.value("sfa_tenant_group_commit_writes_count") == Double(counter.count - setUpCommits))
        #expect(metrics.value("sfa_tenant_group_commit_writes_sum") == 21)
        #expect(metrics.value("sfa_tenant_database_open_duration_seconds_count") == 1)
    }

    /// Calls sent together through the server: the refused one fails alone, the
    /// duplicate is reported, every other lead is created with its audit event.
    @Test func concurrentCreateLeadsFailOnlyTheRefusedCallAndReportOnlyTheDuplicate() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Concurrent leads")
            let marketing = stack.leads(tenant.keys[.marketing])
            let original = try #require(try await marketing.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("original"))).lead)
            var requests = (0..<24).map { CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("c\($0)")) }
            // Refused in the transaction: the tenant has no custom status "nope".
            requests[7].lead?.customStatus = "nope"
            requests[15].lead?.email = original.email.uppercased()
            let results = await withTaskGroup(of: (Int, Result<CreateLeadResponse, RPCError>).self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask {
                        do {
                            return (index, .success(try await marketing.createLead(request)))
                        } catch let error as RPCError {
                            return (index, .failure(error))
                        } catch {
                            return (index, .failure(RPCError(code: .unknown, message: "\(error)")))
                        }
                    }
                }
                return await group.reduce(into: [Int: Result<CreateLeadResponse, RPCError>]()) { $0[$1.0] = $1.1 }
            }

            #expect(results.count == 24)
            guard case .failure(let refused)? = results[7] else { Issue.record("the unknown custom status was accepted"); return }
            #expect(refused.code == .invalidArgument)
            let duplicate = try results[15]?.get()
            #expect(duplicate?.created == false && duplicate?.duplicates.map(\.recordId) == [original.id])
            var created: [String: Lead] = [original.id: original]
            for index in 0..<24 where index != 7 && index != 15 {
                let response = try #require(try results[index]?.get())
                #expect(response.created && response.lead?.email == "harukac\(index)@tanaka.example")
                if let lead = response.lead { created[lead.id] = lead }
            }
            #expect(created.count == 23)
            let listed = try await marketing.listLeads(ListLeadsRequest(pageSize: 100))
            #expect(Set(listed.leads.map(\.id)) == Set(created.keys))

            // One creation event per created lead, listing what the lead was created with.
            let audit = AuditServiceClient(stack.client(tenant.keys[.admin]))
            let events = try await audit.listAuditEvents(ListAuditEventsRequest(pageSize: 100, recordKind: .lead, actions: [.create])).events
            #expect(Set(events.map(\.recordId)) == Set(created.keys) && events.count == 23)
            for event in events {
                let lead = try #require(created[event.recordId])
                let after = Dictionary(uniqueKeysWithValues: event.changes.map { ($0.field, $0.afterJson) })
                #expect(after["name"] == "\"Haruka \(lead.lastName)\"" && after["email"] == "\"\(lead.email)\"")
                #expect(after["company_name"] == "\"\(lead.companyName)\"" && event.changes.allSatisfy { $0.beforeJson == "null" })
            }
        }
    }

    @Test func concurrentLoggedCallsFailOnlyTheOneOnAMissingLead() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Concurrent calls")
            let lead = try #require(
                try await stack.leads(tenant.keys[.rep]).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead
            )
            let activities = stack.activities(tenant.keys[.rep])
            let results = await withTaskGroup(of: (Int, ActivityWrite?).self) { group in
                for index in 0..<16 {
                    group.addTask {
                        // Refused in the transaction: the link is checked there.
                        let leadID = index == 5 ? "lead_missing" : lead.id
                        let call = Activity(
                            kind: .call, state: .done, subject: "call \(index)", doneTimeMs: 1_800_000_000_000 + Int64(index), leadId: leadID,
                            callResult: .connected
                        )
                        return (index, try? await activities.createActivity(CreateActivityRequest(activity: call)))
                    }
                }
                return await group.reduce(into: [Int: ActivityWrite?]()) { $0[$1.0] = $1.1 }
            }

            #expect(results.count == 16 && results[5] == .some(nil))
            let logged = (0..<16).filter { $0 != 5 }.compactMap { results[$0] ?? nil }
            #expect(logged.count == 15 && logged.allSatisfy { $0.created && $0.activity?.leadId == lead.id })
            // Its time and day are derived in the write as before (UTC by default).
            #expect(logged.allSatisfy { $0.activity?.activityTimeMs == $0.activity?.doneTimeMs && $0.activity?.activityDate == "2027-01-15" })
            let listed = try await activities.listActivities(ListActivitiesRequest(pageSize: 100, leadId: lead.id))
            #expect(Set(listed.activities.map(\.subject)) == Set((0..<16).filter { $0 != 5 }.map { "call \($0)" }))
        }
    }
}
