import Foundation
import GRDB
import Logging
import SFAStubs
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
