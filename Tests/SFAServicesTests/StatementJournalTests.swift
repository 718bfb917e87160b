import Foundation
import GRDB
import Testing

@testable import SFAStorage

/// Where SQLite keeps the pages a savepoint may have to restore (its statement
/// journal): in memory for a call-sized savepoint, so that group commit, a savepoint
/// per call, writes no temporary file (`SQLiteProcessSettings`).
@Suite struct StatementJournalTests {
    /// SQLite's temporary files are unlinked as soon as they are opened; the process's
    /// descriptor table still names them, `etilqs_…`.
    private static func openTemporaryFiles() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count { descriptor in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)"))?.contains("etilqs_") == true
        }
    }

    /// Changes `pages` pages written before the transaction, in a savepoint inside it,
    /// and counts SQLite's temporary files open while the savepoint is.
    private static func temporaryFilesDuringASavepoint(changingPages pages: Int) throws -> Int {
        let directory = NSTemporaryDirectory() + "sfa-journal-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = StorageConfiguration(dataDirectory: directory)
        let queue = try DatabaseOpening.open(path: directory + "/journal.sqlite", storage: storage)
        defer { try? queue.close() }
        // One row of 3,000 bytes per 4 KiB page.
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            for id in 0..<pages { try db.execute(sql: "INSERT INTO filler VALUES (?, zeroblob(3000))", arguments: [id]) }
        }
        return try queue.inDatabase { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "ROLLBACK") }
            try db.execute(sql: "SAVEPOINT call")
            try db.execute(sql: "UPDATE filler SET body = randomblob(3000)")
            let open = try openTemporaryFiles()
            try db.execute(sql: "RELEASE call")
            return open
        }
    }

    @Test func aCallSizedSavepointOverSQLitesDefaultSpillKeepsItsJournalInMemory() throws {
        #expect(SQLiteProcessSettings.areApplied)
        // 24 pages: 96 KiB, over SQLite's default 64 KiB, under the configured 120 KiB.
        // Tests run in parallel in this process, and another may hold a temporary file
        // for a moment: one measurement of three without any is enough, and with the
        // default threshold none is.
        let attempts = try (0..<3).map { _ in try Self.temporaryFilesDuringASavepoint(changingPages: 24) }
        #expect(attempts.contains(0), "temporary files during each savepoint: \(attempts)")
    }

    @Test func aSavepointLargerThanTheThresholdStillSpillsToATemporaryFile() throws {
        // Also the control for the test above: its count does see a spilled journal.
        // 96 pages, 384 KiB: a size whose spill failed with SQLITE_FULL when the
        // threshold was 192 KiB.
        #expect(try Self.temporaryFilesDuringASavepoint(changingPages: 96) >= 1)
    }
}
