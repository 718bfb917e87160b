import Foundation
import GRDB
import Logging
import SFAStubs
import SFATestSupport
import Testing

@testable import SFAStorage

/// Where a tenant's reads run: on the file's writer connection while nothing else uses
/// it, so that a file that is mostly read keeps one connection; on a read-only
/// connection when a write or a backup holds the writer, without waiting for it, and
/// for long reads. A read body cannot write on either (on the writer, in debug builds).
@Suite struct TenantReadConnectionTests {
    /// A tenant with one audit event, in a data directory of its own (removed after),
    /// and the path of its file.
    private static func withTenant(_ name: String, _ body: (TenantDatabases, String, String) async throws -> Void) async throws {
        let storage = StorageConfiguration(dataDirectory: NSTemporaryDirectory() + "sfa-\(name)-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: storage.dataDirectory) }
        let tenants = try TenantDatabases(storage: storage, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let id = RecordID.make("ten")
        try await tenants.write(id) { db in
            try AuditLog.append(db, AuditEvent(actorUserId: "u", method: "test", recordKind: .lead, recordId: "lead_1"))
        }
        // The path as /proc/self/fd shows it: the temporary directory may be a symlink.
        let path = URL(fileURLWithPath: storage.tenantsDirectory + "/\(id).sqlite").resolvingSymlinksInPath().path
        try await body(tenants, id, path)
    }

    /// Connections of this process open on the database file at `path` (each holds one
    /// descriptor of it; the WAL and its index are counted apart, under other names).
    private static func connections(to path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path }.count
    }

    /// How long a held writer waits to be released: a read that wrongly waits for it
    /// fails the test after this, not hangs it. Far longer than a read takes even when
    /// the whole suite's load keeps the test task waiting seconds for a thread.
    private static let holdLimit = DispatchTimeInterval.seconds(60)

    /// Waits for `semaphore` (60 s at most) without blocking a thread of the
    /// cooperative pool, which the work that signals it may need.
    private static func signalled(_ semaphore: DispatchSemaphore) async -> Bool {
        await eventually(within: .seconds(60)) { semaphore.wait(timeout: .now()) == .success }
    }

    private static func events(_ tenants: TenantDatabases, _ id: String) async throws -> Int {
        try await tenants.read(id) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event") ?? -1 }
    }

    @Test func readsOneAfterAnotherRunOnTheWriterAndOpenNoOtherConnection() async throws {
        try await Self.withTenant("reads-on-writer") { tenants, id, path async throws in
            #expect(Self.connections(to: path) == 1)
            for _ in 0..<20 { #expect(try await Self.events(tenants, id) == 1) }
            #expect(Self.connections(to: path) == 1)
            // A read that throws gives the writer back: the next read runs there again.
            await #expect(throws: DatabaseError.self) {
                try await tenants.read(id) { db in try db.execute(sql: "SELECT * FROM no_such_table") }
            }
            #expect(try await Self.events(tenants, id) == 1)
            #expect(Self.connections(to: path) == 1)
        }
    }

    @Test func aReadBodyThatWritesFailsOnTheWriterAsOnAReadOnlyConnectionAndWritesNothing() async throws {
        try await Self.withTenant("read-cannot-write") { tenants, id, path async throws in
            let insert: @Sendable (Database) throws -> Void = { db in
                try AuditLog.append(db, AuditEvent(actorUserId: "u", method: "test", recordKind: .lead, recordId: "lead_x"))
            }
            // On the idle writer (refused in debug builds, which the tests are), then on a
            // read-only connection (a long read).
            await #expect(throws: DatabaseError.self) { try await tenants.read(id, insert) }
            await #expect(throws: DatabaseError.self) { try await tenants.read(id, long: true, insert) }
            #expect(try await Self.events(tenants, id) == 1)
            // The writer still writes afterwards: its read-only mode ended with the read.
            try await tenants.write(id, insert)
            #expect(try await Self.events(tenants, id) == 2)
        }
    }

    @Test func aLongReadRunsOnAReadOnlyConnectionEvenWhenTheWriterIsIdle() async throws {
        try await Self.withTenant("long-read") { tenants, id, path async throws in
            let count = try await tenants.read(id, long: true) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event") ?? -1 }
            #expect(count == 1)
            #expect(Self.connections(to: path) == 2)
        }
    }

    /// Starts `hold`, work that holds the writer by running the closure it is given
    /// there (which waits to be released, `holdLimit` at most), reads while it is held,
    /// then releases it. The read must see the file as it was, on a read-only
    /// connection. Returns what the held work's wait returned: `.success` when the read
    /// did not wait for it, `.timedOut` when it did.
    private static func readWhileHeld(
        _ tenants: TenantDatabases,
        _ id: String,
        _ path: String,
        hold: (@escaping @Sendable () -> DispatchTimeoutResult) -> Task<DispatchTimeoutResult, any Error>
    ) async throws -> DispatchTimeoutResult {
        let (held, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let holder = hold {
            held.signal()
            return release.wait(timeout: .now() + Self.holdLimit)
        }
        #expect(await Self.signalled(held))
        #expect(try await Self.events(tenants, id) == 1)
        #expect(Self.connections(to: path) == 2)
        release.signal()
        return try await holder.value
    }

    @Test func aReadWhileAWriteHoldsTheWriterRunsBesideItWithoutWaiting() async throws {
        try await Self.withTenant("read-beside-write") { tenants, id, path async throws in
            // A write whose body holds the writer: not committed while the read runs.
            let outcome = try await Self.readWhileHeld(tenants, id, path) { holdTheWriter in
                Task {
                    try await tenants.write(id) { db -> DispatchTimeoutResult in
                        try AuditLog.append(db, AuditEvent(actorUserId: "u", method: "test", recordKind: .lead, recordId: "lead_2"))
                        return holdTheWriter()
                    }
                }
            }
            #expect(outcome == .success)
            #expect(try await Self.events(tenants, id) == 2)
        }
    }

    @Test func aReadWhileABackupHoldsTheWriterRunsBesideItWithoutWaiting() async throws {
        try await Self.withTenant("read-beside-backup") { tenants, id, path async throws in
            let outcome = try await Self.readWhileHeld(tenants, id, path) { holdTheWriter in
                Task {
                    try await tenants.withDatabase(id) { writer in
                        try await writer.writeWithoutTransaction { _ in holdTheWriter() }
                    }
                }
            }
            #expect(outcome == .success)
        }
    }
}
