import Foundation
import GRDB
import Logging
import SFAStubs
import Testing

@testable import SFAStorage

/// How tenant files come to be and are opened again: new ones copied from the
/// migrated template, old ones migrated on open, evicted ones reopened (reading, not
/// writing, a current file), and every writer syncing as the configured durability says.
@Suite struct TenantFileOpeningTests {
    private static func storage(
        _ name: String, bound: Int? = nil, durability: StorageConfiguration.Durability = .powerLoss,
        locking: StorageConfiguration.TenantFileLocking = .process
    ) -> StorageConfiguration {
        StorageConfiguration(
            dataDirectory: NSTemporaryDirectory() + "sfa-\(name)-" + UUID().uuidString, maximumOpenTenantDatabases: bound, durability: durability,
            tenantFileLocking: locking
        )
    }

    private static func databases(_ storage: StorageConfiguration) throws -> TenantDatabases {
        try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    /// The schema, the version mark and the rows of every table but the pipeline's,
    /// whose ids are the tenant's own.
    private static func shape(of path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            let schema = try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").map { "\($0)" }
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('pipeline', 'sqlite_sequence') ORDER BY name")
            let rows = try tables.map { table in "\(table): \(try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\" ORDER BY 1"))" }
            return schema + rows + ["user_version \(try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1)"]
        }
    }

    private static func defaultPipeline(at path: String) throws -> Pipeline {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        let data = try queue.read { db in try Data.fetchAll(db, sql: "SELECT data FROM pipeline WHERE is_default = 1") }
        #expect(data.count == 1)
        return try Pipeline(serializedBytes: Array(try #require(data.first)))
    }

    @Test func aTenantMadeFromTheTemplateHasTheSchemaOfOneMigratedFromScratch() async throws {
        let storage = Self.storage("template")
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try Self.databases(storage)
        let (first, second) = (RecordID.make("ten"), RecordID.make("ten"))
        for id in [first, second] { try await tenants.withDatabase(id) { _ in } }
        // The reference: every migration run on an empty file, as before templates.
        let scratch = storage.dataDirectory + "/scratch.sqlite"
        let queue = try DatabaseOpening.open(path: scratch, storage: storage)
        try TenantSchema.migrate(queue)
        try queue.close()

        let expected = try Self.shape(of: scratch)
        #expect(expected.contains("user_version \(TenantSchema.currentVersion)"))
        for id in [first, second] {
            #expect(try Self.shape(of: storage.tenantsDirectory + "/\(id).sqlite") == expected)
        }
        // Each has a default pipeline of its own, with the stages of one made by the migration.
        let pipelines = try [first, second].map { try Self.defaultPipeline(at: storage.tenantsDirectory + "/\($0).sqlite") }
        let reference = try Self.defaultPipeline(at: scratch)
        #expect(Set(pipelines.map(\.id) + [reference.id]).count == 3)
        #expect(Set(pipelines.flatMap { $0.stages.map(\.id) }).count == 2 * reference.stages.count)
        for pipeline in pipelines { #expect(pipeline.stages.map(\.name) == reference.stages.map(\.name)) }
        // Nothing half made is left beside them.
        let files = try FileManager.default.contentsOfDirectory(atPath: storage.tenantsDirectory)
        #expect(!files.contains { $0.hasSuffix(".creating") })
    }

    @Test func aTenantEvictedAndReopenedServesItsReadsAndWrites() async throws {
        let storage = Self.storage("reopen", bound: 2)
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try Self.databases(storage)
        let id = RecordID.make("ten")
        let others = (0..<6).map { _ in RecordID.make("ten") }
        let count = { try await tenants.read(id) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event") ?? -1 } }
        for round in 1...3 {
            try await tenants.write(id) { db in
                try AuditLog.append(db, AuditEvent(actorUserId: "u", method: "test", recordKind: .lead, recordId: "lead_\(round)"))
            }
            #expect(try await count() == round)
            // Enough other tenants to push it out of a cache of two.
            for other in others { _ = try await tenants.read(other) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM lead") } }
            #expect(tenants.openCount <= 2)
            // Reopened: the first read sees every write made before.
            #expect(try await count() == round)
        }
    }

    /// A tenant file written the old way, without the version mark, by `write`.
    private static func unmarkedFile(_ storage: StorageConfiguration, _ id: String, _ write: (DatabaseQueue) throws -> Void) throws -> String {
        let path = storage.tenantsDirectory + "/\(id).sqlite"
        try DatabaseOpening.createDirectory(storage.tenantsDirectory)
        let file = try DatabaseOpening.open(path: path, storage: storage)
        try write(file)
        try file.close()
        return path
    }

    @Test func anOldFileIsMigratedWhenOpenedAndMarkedWithItsVersion() async throws {
        let storage = Self.storage("old")
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try Self.databases(storage)
        let id = RecordID.make("ten")
        // A file from before pipelines.
        let path = try Self.unmarkedFile(storage, id) { try TenantSchema.migrator.migrate($0, upTo: "v4 idempotency key expiry") }

        let opened = try await tenants.read(id) { db in
            (try Int32.fetchOne(db, sql: "PRAGMA user_version"), try TenantSchema.version(of: db, tenantID: id))
        }
        #expect(opened.0 == TenantSchema.currentVersion)
        #expect(opened.1 == TenantSchema.currentVersion)
        #expect(try Self.defaultPipeline(at: path).stages.isEmpty == false)
    }

    @Test func anUnmarkedFileWithAMigrationFromTheFutureIsRefused() async throws {
        let storage = Self.storage("future")
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try Self.databases(storage)
        let id = RecordID.make("ten")
        _ = try Self.unmarkedFile(storage, id) { file in
            try TenantSchema.migrator.migrate(file)
            try file.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')") }
        }

        await #expect(throws: StorageError.schemaNewerThanCode(tenantID: id)) { try await tenants.withDatabase(id) { _ in } }
    }

    @Test(arguments: [(StorageConfiguration.Durability.powerLoss, 2), (.processCrash, 1)])
    func everyWriterSyncsAsTheDurabilitySays(durability: StorageConfiguration.Durability, synchronous: Int) async throws {
        let storage = Self.storage("durability", durability: durability)
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try Self.databases(storage)
        // GRDB's WAL set-up sets NORMAL (1) after a connection's own preparation.
        let tenant = try await tenants.withDatabase(RecordID.make("ten")) { writer in
            try await writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        }
        #expect(tenant == synchronous)
        let control = try SQLiteControlPlaneStore(storage: storage).database
        defer { try? control.close() }
        #expect(try await control.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == synchronous)
    }

    /// Writes an audit event for `recordID` into the tenant's file.
    private static func logEvent(_ tenants: TenantDatabases, _ id: String, _ recordID: String) async throws {
        try await tenants.write(id) { db in
            try AuditLog.append(db, AuditEvent(actorUserId: "u", method: "test", recordKind: .lead, recordId: recordID))
        }
    }

    /// The tenant's audit events, counted by a read.
    private static func events(_ tenants: TenantDatabases, _ id: String) async throws -> Int {
        try await tenants.read(id) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event") ?? -1 }
    }

    /// Runs `body` with a tenant whose file holds one audit event, in a data directory
    /// of its own (removed after), and the path of that file.
    private static func withLoggedTenant(
        _ name: String, locking: StorageConfiguration.TenantFileLocking = .process, _ body: (TenantDatabases, String, String) async throws -> Void
    ) async throws {
        let storage = Self.storage(name, locking: locking)
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try Self.databases(storage)
        let id = RecordID.make("ten")
        try await Self.logEvent(tenants, id, "lead_1")
        try await body(tenants, id, storage.tenantsDirectory + "/\(id).sqlite")
    }

    private static func size(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
    }

    @Test(arguments: [StorageConfiguration.TenantFileLocking.process, .shared])
    func reopeningACurrentFileForAReadLeavesTheFileAndItsWALUnwritten(locking: StorageConfiguration.TenantFileLocking) async throws {
        try await Self.withLoggedTenant("unwritten", locking: locking) { tenants, id, path in
            // Closed as an eviction closes it: checkpointed, its WAL kept for the next open
            // and empty, and so is its shared-memory index, which only `.shared` locking
            // keeps in a file.
            try await tenants.withExclusiveFile(id) { _ in }
            #expect(Self.size(path + "-wal") == 0)
            #expect((Self.size(path + "-shm") != nil) == (locking == .shared))
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            #expect(try await Self.events(tenants, id) == 1)
            // Open: its WAL holds no frame, where GRDB's pool set-up would have committed
            // a table created and dropped.
            #expect(Self.size(path + "-wal") == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            // A second read, on the writer again, finds the same.
            #expect(try await Self.events(tenants, id) == 1)
        }
    }

    @Test func aFileInRollbackJournalModeIsPutInWALModeWhenOpened() async throws {
        let storage = Self.storage("rollback")
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try Self.databases(storage)
        let id = RecordID.make("ten")
        try await tenants.withDatabase(id) { _ in }
        try await tenants.withExclusiveFile(id) { path in
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try queue.close()
        }
        let mode = try await tenants.withDatabase(id) { writer in
            try await writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        }
        #expect(mode == "wal")
        try await Self.logEvent(tenants, id, "lead_1")
        #expect(try await Self.events(tenants, id) == 1)
    }

    @Test(arguments: [StorageConfiguration.TenantFileLocking.process, .shared])
    func aClosedFileWhoseWALAndIndexWereRemovedOpensAndServesReadsAndWrites(locking: StorageConfiguration.TenantFileLocking) async throws {
        try await Self.withLoggedTenant("removed", locking: locking) { tenants, id, path in
            try await tenants.withExclusiveFile(id) { path in
                for suffix in locking == .shared ? ["-wal", "-shm"] : ["-wal"] { try FileManager.default.removeItem(atPath: path + suffix) }
            }
            // The first read runs on the writer, the second on a read-only connection,
            // which needs the WAL the writer made again.
            #expect(try await Self.events(tenants, id) == 1)
            #expect(try await Self.events(tenants, id) == 1)
            #expect(Self.size(path + "-wal") == 0)
            try await Self.logEvent(tenants, id, "lead_2")
            #expect(try await Self.events(tenants, id) == 2)
        }
    }
}
