import Foundation
import GRDB
import Logging
import SFAStorage
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

    @Test func aFailingCallInABatchLeavesTheOtherCallsOfItsTransactionCommitted() async throws {
        let directory = NSTemporaryDirectory() + "sfa-group-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tenants = try TenantDatabases(
            storage: StorageConfiguration(dataDirectory: directory),
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

        // The first write holds the writer while the others queue behind it, so that
        // they meet in the following transaction(s). Odd calls write, then throw.
        let started = Flag()
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            group.addTask {
                try await tenants.write(tenantID) { db in
                    started.value.store(true, ordering: .releasing)
                    Thread.sleep(forTimeInterval: 0.3)
                    try db.execute(sql: "INSERT INTO note (id, text) VALUES (0, 'first')")
                }
                return (0, true)
            }
            while !started.value.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
            for call in 1...20 {
                group.addTask {
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

        #expect(results.filter(\.value).keys.sorted() == [0] + stride(from: 2, through: 20, by: 2))
        let stored = try await tenants.read(tenantID) { db in try Int.fetchAll(db, sql: "SELECT id FROM note ORDER BY id") }
        #expect(stored == [0] + Array(stride(from: 2, through: 20, by: 2)))
        // Fewer commits than calls: calls shared transactions.
        #expect(counter.count < 21)
    }
}
