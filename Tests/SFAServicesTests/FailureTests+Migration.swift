import Foundation
import GRDB
import SFAClient
import SFAStubs
import Testing

@testable import SFAStorage

/// SIGKILL while a tenant file is being migrated.
extension FailureTests {
    /// The version the tenant's file is put back to: before v5, so that the migration
    /// runs six steps, two of which (v9 rereads every lead, v10 fills and indexes leads
    /// again) take time in proportion to the leads.
    private static let olderVersion = 4

    /// 20,000 leads written through the API are copied into a file at schema v4, which
    /// `sfad` migrates on `MigrateTenants`. It is killed once while v9 runs and once
    /// while v10 runs; each restart finds the file at the last committed step (the
    /// interrupted one rolled back), and the third start finishes the migration: the
    /// file passes `integrity_check`, has the schema of a file made at the current
    /// version, and every row written before.
    @Test(.timeLimit(.minutes(8))) func aServerKilledDuringAMigrationFinishesItOnRestartWithEveryRowKept() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: builtExecutable("sfad")), "build sfad first: swift build")
        let directory = NSTemporaryDirectory() + "sfa-migration-kill-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/data"
        let first = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: data)
        defer { first.stop() }
        let operatorKey = try #require(first.operatorKey)
        let tenant = try await SfadTenant.make("Migrated", port: first.port, operatorKey: operatorKey)
        let leads = tenant.leads(port: first.port)
        for batch in 0..<2 {
            let rows = (0..<10_000).map { index in
                Lead(
                    lastName: "Lead \(batch)-\(index)", email: "l\(batch)-\(index)@migration.example", companyName: "Company \(index)",
                    source: .fileImport, notes: String(repeating: "x", count: 300)
                )
            }
            let report = try await leads.importLeads(ImportLeadsRequest(leads: rows), options: CallOptions(timeout: .seconds(240)))
            #expect(report.results.filter { $0.outcome == ImportRowOutcome.created }.count == rows.count)
        }
        first.stop()

        let file = data + "/tenants/" + tenant.id + ".sqlite"
        let current = try Self.snapshot(of: file)
        try Self.rewrite(file, atVersion: Self.olderVersion)
        let acknowledged = try Self.snapshot(of: file)
        #expect(acknowledged.version == Self.olderVersion)
        #expect(acknowledged.rows["lead"]?.count == 20_000)

        var committed = Self.olderVersion
        for killAt in [8, 9] {
            // The test reads the file's progress while sfad migrates it: shared locking.
            let server = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: data, arguments: ["--tenant-file-locking", "shared"])
            defer { server.stop() }
            let admin = AdminServiceClient(SfadTenant.client(port: server.port, key: operatorKey))
            let before = try await admin.migrateTenants(MigrateTenantsRequest(tenantIds: [tenant.id], dryRun: true))
            #expect(before.results.map(\.outcome) == [.wouldMigrate])
            #expect(before.results.first?.fromVersion == Int32(committed), "a step interrupted by SIGKILL was kept, or a committed one lost")
            let migrating = Task {
                try await admin.migrateTenants(MigrateTenantsRequest(tenantIds: [tenant.id]), options: CallOptions(timeout: .seconds(240)))
            }
            let seen = await Self.killWhenMigrated(file, reaches: killAt, pid: server.process.processIdentifier)
            server.kill()
            _ = try? await migrating.value
            let reached = try #require(seen, "sfad did not reach v\(killAt) of the migration within 120 s")
            try #require(reached < Int(TenantSchema.currentVersion), "the migration finished before sfad was killed at v\(killAt)")
            committed = reached
        }

        let log = directory + "/sfad.log"
        let last = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: data, logFile: log)
        defer { last.stop() }
        let admin = AdminServiceClient(SfadTenant.client(port: last.port, key: operatorKey))
        let migrated = try await admin.migrateTenants(MigrateTenantsRequest(tenantIds: [tenant.id]), options: CallOptions(timeout: .seconds(240)))
        #expect(migrated.results.map(\.outcome) == [.migrated])
        #expect(migrated.results.first?.fromVersion == Int32(committed))
        #expect(try await tenant.leads(port: last.port).listLeads(ListLeadsRequest(pageSize: 1)).leads.count == 1)
        last.stop()
        #expect(!((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("maps to no status"))

        let queue = try DatabaseQueue(path: file)
        #expect(try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
        try queue.close()
        let after = try Self.snapshot(of: file, columns: acknowledged.columns)
        #expect(after.version == Int(TenantSchema.currentVersion))
        #expect(after.schema == current.schema, "the schema differs from that of a file made at the current version")
        for (table, rows) in acknowledged.rows {
            let kept = after.rows[table] == rows
            #expect(kept, "rows of \(table) written before the migration changed or went missing (\(rows.count) before, \(after.rows[table]?.count ?? 0) after)")
        }
    }

    /// What a tenant file holds: its version, its schema (`sqlite_master`), and the
    /// rows of its tables (every table but GRDB's) in their columns.
    private struct Snapshot {
        var version: Int
        var schema: [String]
        var columns: [String: [String]]
        var rows: [String: [[DatabaseValue]]]
    }

    /// - Parameter columns: the tables and columns to read (those a file had at an
    ///   earlier version); by default all of them.
    private static func snapshot(of path: String, columns: [String: [String]]? = nil) throws -> Snapshot {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var read = columns ?? [:]
            if columns == nil {
                for table in try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'"
                ) {
                    read[table] = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
                }
            }
            var rows: [String: [[DatabaseValue]]] = [:]
            for (table, names) in read {
                // Ordered by every column: some tables have no rowid.
                let list = names.map(\.quotedDatabaseIdentifier).joined(separator: ", ")
                rows[table] = try Row.fetchAll(db, sql: "SELECT \(list) FROM \(table.quotedDatabaseIdentifier) ORDER BY \(list)")
                    .map { Array($0.databaseValues) }
            }
            return Snapshot(
                version: try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") ?? 0,
                schema: try String.fetchAll(db, sql: "SELECT type || ' ' || name || ': ' || ifnull(sql, '') FROM sqlite_master ORDER BY type, name"),
                columns: read,
                rows: rows
            )
        }
    }

    /// Replaces the file with one migrated up to `version` (as a SalesWire of then made
    /// it) holding the rows of the tables that version has, in the columns it has.
    private static func rewrite(_ path: String, atVersion version: Int) throws {
        let source = path + ".acknowledged"
        try FileManager.default.moveItem(atPath: path, toPath: source)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let queue = try DatabaseQueue(path: path)
        try TenantSchema.migrator.migrate(queue, upTo: TenantSchema.migrations[version - 1].identifier)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS acknowledged", arguments: [source])
            try db.inTransaction {
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'"
                )
                for table in tables {
                    let older = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?, 'main')", arguments: [table])
                    let newer = Set(try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?, 'acknowledged')", arguments: [table]))
                    let columns = older.filter(newer.contains).map(\.quotedDatabaseIdentifier).joined(separator: ", ")
                    try db.execute(
                        sql: "INSERT INTO main.\(table.quotedDatabaseIdentifier) (\(columns)) SELECT \(columns) FROM acknowledged.\(table.quotedDatabaseIdentifier)"
                    )
                }
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE acknowledged")
        }
        try queue.close()
        try FileManager.default.removeItem(atPath: source)
    }

    /// Polls the file on a thread of its own (not the cooperative pool, which a loaded
    /// machine may leave unscheduled for a while) through read-only connections, which
    /// neither write nor checkpoint, and SIGKILLs `pid` the moment `version` migration
    /// steps are committed. The version seen then; nil when it was not reached in 120 s.
    private static func killWhenMigrated(_ path: String, reaches version: Int, pid: Int32) async -> Int? {
        await withCheckedContinuation { continuation in
            Thread {
                var configuration = Configuration()
                configuration.readonly = true
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline {
                    // sfad made the WAL's shared memory once it opened the file.
                    if FileManager.default.fileExists(atPath: path + "-shm"),
                        let queue = try? DatabaseQueue(path: path, configuration: configuration)
                    {
                        let seen = try? queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") }
                        try? queue.close()
                        if let seen, seen >= version {
                            kill(pid, SIGKILL)
                            continuation.resume(returning: seen)
                            return
                        }
                    }
                    usleep(200)
                }
                continuation.resume(returning: nil)
            }.start()
        }
    }
}
