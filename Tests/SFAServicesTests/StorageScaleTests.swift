import Foundation
import GRDB
import Logging
import SFAStorage
import SFAStubs
import Synchronization
import Testing

/// Many tenants on one node: the open-database bound holds and file descriptors stay bounded.
@Suite struct StorageScaleTests {
    /// Descriptors of this process open on files under `directory` (other tests run
    /// in the same process and open files and sockets of their own).
    private func openFileDescriptors(under directory: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { entry in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry))?.hasPrefix(directory) == true
        }.count
    }

    @Test func twoThousandTenantsWithABoundOf64KeepFileDescriptorsBounded() async throws {
        let directory = NSTemporaryDirectory() + "sfa-scale-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Durability does not matter here; fewer fsyncs keep the test quick.
        let storage = StorageConfiguration(dataDirectory: directory, maximumOpenTenantDatabases: 64, durability: .processCrash)
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let ids = (0..<2000).map { _ in RecordID.make("ten") }
        let peak = PeakCounter()

        // Write one event into every tenant, eight tenants at a time.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: ids.count, by: 8) {
                        try await tenants.withDatabase(ids[index]) { queue in
                            try await queue.writeImmediate { db in
                                try AuditLog.append(db, AuditEvent(actorUserId: "u", method: "test", recordKind: .lead, recordId: ids[index]))
                            }
                        }
                        if index % 50 == 0 { peak.record(self.openFileDescriptors(under: directory)) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(tenants.openCount <= 64)

        // Every tenant is readable afterwards, and holds its own record only.
        for id in ids {
            let recordIDs = try await tenants.withDatabase(id) { queue in
                try await queue.read { db in try String.fetchAll(db, sql: "SELECT record_id FROM audit_event") }
            }
            #expect(recordIDs == [id])
            if id.hasSuffix("0") { peak.record(openFileDescriptors(under: directory)) }
        }
        #expect(tenants.openCount <= 64)
        // Each open database holds at most three descriptors for its writer (db, -wal,
        // -shm) and two per reader connection (db, -wal; the -shm mapping is shared);
        // leases in flight may exceed the bound by the eight workers.
        let perDatabase = 3 + 2 * storage.maximumReadersPerTenant
        #expect(peak.value > 0, "no descriptor was seen: the measurement is broken")
        #expect(peak.value <= (64 + 8) * perDatabase, "peak of \(peak.value) descriptors on tenant files")
        let files = try FileManager.default.contentsOfDirectory(atPath: storage.tenantsDirectory).filter { $0.hasSuffix(".sqlite") }
        #expect(files.count == 2000)
    }

    @Test func theDefaultOpenDatabaseBoundFollowsTheDescriptorLimitUpToTheMemoryCap() {
        #expect(StorageConfiguration.openDatabaseBound(descriptors: 1024, readersPerTenant: 2) == 109)
        #expect(StorageConfiguration.openDatabaseBound(descriptors: 20_000, readersPerTenant: 2) == 2048)
        #expect(StorageConfiguration.openDatabaseBound(descriptors: 20_000, readersPerTenant: 4) == 1590)
        #expect(StorageConfiguration.openDatabaseBound(descriptors: 64, readersPerTenant: 4) == 16)
        #expect(StorageConfiguration(dataDirectory: "x").maximumOpenTenantDatabases
            == StorageConfiguration.openDatabaseBound(descriptors: DescriptorLimit.current, readersPerTenant: StorageConfiguration.defaultReadersPerTenant))
    }

    @Test func aDatabaseNewerThanTheCodeIsRefusedAndLeftUntouched() async throws {
        let directory = NSTemporaryDirectory() + "sfa-newer-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = StorageConfiguration(dataDirectory: directory)
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let id = RecordID.make("ten")
        try await tenants.withDatabase(id) { _ in }
        try await tenants.deleteFiles(RecordID.make("ten"))  // unrelated id: no error, no file
        // A newer SalesWire added a migration this code does not know, and marked the
        // file with its version.
        try await tenants.withExclusiveFile(id) { path in
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')")
                try db.execute(sql: "PRAGMA user_version = 99")
            }
            try await queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            try queue.close()
        }
        let path = storage.tenantsDirectory + "/\(id).sqlite"
        let before = try await Self.contents(of: path)
        await #expect(throws: StorageError.schemaNewerThanCode(tenantID: id)) {
            try await tenants.withDatabase(id) { _ in }
        }
        // Not migrated, not damaged: same migrations, same rows, integrity ok.
        #expect(try await Self.contents(of: path) == before)
    }

    @Test func aFencedFileIsNeitherReplacedNorDeletedExceptByTheMoveThatFencedIt() async throws {
        let directory = NSTemporaryDirectory() + "sfa-fenced-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = StorageConfiguration(dataDirectory: directory)
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let id = RecordID.make("ten")
        try await tenants.withDatabase(id) { _ in }
        let path = storage.tenantsDirectory + "/\(id).sqlite"
        // As a move away from this node leaves it: the file is handed over.
        let refusal = StorageError.failedPrecondition(reason: "TENANT_MOVED", message: "handed over")
        tenants.fence(id, with: refusal)
        await #expect(throws: refusal) { try await tenants.withExclusiveFile(id) { _ in } }
        await #expect(throws: refusal) { try await tenants.deleteFiles(id) }
        #expect(FileManager.default.fileExists(atPath: path))
        try await tenants.deleteFiles(id, ignoringFence: true)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    private static func contents(of path: String) async throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
                + [try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? ""]
                + String.fetchAll(db, sql: "SELECT name FROM sqlite_master ORDER BY name")
        }
    }
}

/// The largest value seen, from many tasks.
final class PeakCounter: Sendable {
    private let storage = Mutex<Int>(0)
    func record(_ value: Int) { storage.withLock { $0 = max($0, value) } }
    var value: Int { storage.withLock { $0 } }
}
