import Foundation
import GRDB
import Logging
import SFAStubs
import SFATestSupport
import Testing

@testable import SFAStorage

/// Tenant files with `.process` locking (the default): opened through a URI naming
/// SQLite's `unix-excl` file system, whatever the data directory's path holds; their
/// read-only connections share the writer's in-memory WAL index, so a kept reader sees
/// every commit; no `-shm` file is made. (SfadCommandTests checks that another process
/// is refused, and `.shared` locking lets it in.)
@Suite struct TenantFileLockingTests {
    private static func events(_ tenants: TenantDatabases, _ id: String, long: Bool) async throws -> Int {
        try await tenants.read(id, long: long) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event") ?? -1 }
    }

    private static func append(_ tenants: TenantDatabases, _ id: String) async throws {
        try await tenants.write(id) { db in
            try AuditLog.append(db, AuditEvent(actorUserId: "u", method: "test", recordKind: .lead, recordId: "lead_1"))
        }
    }

    @Test(arguments: [StorageConfiguration.TenantFileLocking.process, .shared])
    func aDataDirectoryWhosePathLooksLikeAURIsQueryHoldsItsTenantFiles(locking: StorageConfiguration.TenantFileLocking) async throws {
        // `?`, `#`, `%41` and a space: read as a URI unescaped, the name would end at
        // the `?` and `%41` would become `A`.
        let directory = NSTemporaryDirectory() + "sfa lock ?vfs=unix-none#x%41 " + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = StorageConfiguration(dataDirectory: directory, tenantFileLocking: locking)
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let id = RecordID.make("ten")
        try await Self.append(tenants, id)
        try await Self.append(tenants, id)

        #expect(try await Self.events(tenants, id, long: false) == 2)
        #expect(try await Self.events(tenants, id, long: true) == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: storage.tenantsDirectory).filter { !$0.hasPrefix(".") }
        let expected: Set<String> = locking == .process ? ["\(id).sqlite", "\(id).sqlite-wal"] : ["\(id).sqlite", "\(id).sqlite-wal", "\(id).sqlite-shm"]
        #expect(Set(files) == expected)
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "sfa lock "), "a file was made at the URI's cut")
    }

    /// An absolute path beginning with `//` would be a URI's host after `file:`; a
    /// relative one beginning with `file:` would be a URI itself.
    @Test func dataDirectoriesThatLookLikeURIPartsHoldTheirTenantFiles() async throws {
        let name = "sfa-lock-" + UUID().uuidString
        for directory in ["/" + NSTemporaryDirectory() + name, "file:" + name] {
            let storage = StorageConfiguration(dataDirectory: directory)
            defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
            #expect(storage.dataDirectory == (directory.hasPrefix("file:") ? "./" + directory : directory))
            let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            let id = RecordID.make("ten")
            try await Self.append(tenants, id)
            #expect(try await Self.events(tenants, id, long: true) == 1)
            #expect(FileManager.default.fileExists(atPath: storage.tenantsDirectory + "/\(id).sqlite"))
        }
    }

    /// Reading a closed file's schema version opens it as its writer would: no `-shm`
    /// appears, and a file that is gone is not made again.
    @Test func theSchemaVersionOfAClosedFileIsReadWithoutAnIndexFileOrCreatingOne() async throws {
        let storage = StorageConfiguration(dataDirectory: NSTemporaryDirectory() + "sfa-lock-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let id = RecordID.make("ten")
        try await Self.append(tenants, id)
        try await tenants.withExclusiveFile(id) { _ in }
        #expect(try await tenants.schemaVersion(id) == TenantSchema.currentVersion)
        let files = try FileManager.default.contentsOfDirectory(atPath: storage.tenantsDirectory).filter { !$0.hasPrefix(".") }
        #expect(Set(files) == ["\(id).sqlite", "\(id).sqlite-wal"])

        let missing = storage.tenantsDirectory + "/" + RecordID.make("ten") + ".sqlite"
        #expect(throws: DatabaseError.self) { try DatabaseOpening.openWriter(path: missing, storage: storage, existing: true) }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    /// The lock works both ways: while another process holds the file, the tenant's
    /// calls fail with UNAVAILABLE after the busy timeout, and work once it lets go.
    @Test func aTenantFileHeldByAnotherProcessIsUnavailableUntilItLetsGo() async throws {
        let storage = StorageConfiguration(dataDirectory: NSTemporaryDirectory() + "sfa-lock-" + UUID().uuidString, busyTimeout: .milliseconds(50))
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let id = RecordID.make("ten")
        try await Self.append(tenants, id)
        try await tenants.withExclusiveFile(id) { _ in }
        // A read transaction held open by python until it is killed.
        let output = storage.dataDirectory + "/holder.out"
        let holder = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN'); "
                    + "c.execute('SELECT count(*) FROM audit_event').fetchone(); print('held', flush=True); time.sleep(300)",
                storage.tenantsDirectory + "/\(id).sqlite",
            ],
            output: output, error: output
        )
        defer { holder.terminate(SIGKILL); holder.waitUntilExit() }
        // Python may take seconds to start under the whole suite's load.
        let held = await eventually(within: .seconds(60)) {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("held")
        }
        try #require(held, "python did not hold the file")

        await #expect(throws: StorageError.tenantDatabaseLocked(tenantID: id)) { _ = try await Self.events(tenants, id, long: false) }
        holder.terminate(SIGKILL)
        holder.waitUntilExit()
        #expect(try await Self.events(tenants, id, long: false) == 1)
    }

    @Test func aKeptReaderSeesEveryCommitOfItsWriter() async throws {
        let storage = StorageConfiguration(dataDirectory: NSTemporaryDirectory() + "sfa-lock-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        #expect(storage.tenantFileLocking == .process)
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let id = RecordID.make("ten")
        for count in 1...5 {
            try await Self.append(tenants, id)
            // A long read always runs on a read-only connection, the same one each time.
            #expect(try await Self.events(tenants, id, long: true) == count)
        }
    }

    @Test func aFileClosedAndOpenedAgainKeepsItsCommits() async throws {
        let storage = StorageConfiguration(dataDirectory: NSTemporaryDirectory() + "sfa-lock-" + UUID().uuidString, maximumOpenTenantDatabases: 1)
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let first = RecordID.make("ten")
        let second = RecordID.make("ten")
        // With one file open at a time, each write closes the other tenant's file.
        for _ in 0..<3 {
            try await Self.append(tenants, first)
            try await Self.append(tenants, second)
        }
        #expect(try await Self.events(tenants, first, long: true) == 3)
        #expect(try await Self.events(tenants, second, long: false) == 3)
    }
}
