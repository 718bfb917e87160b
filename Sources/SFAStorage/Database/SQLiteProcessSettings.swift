import CSQLiteConfiguration
import GRDBSQLite

/// SQLite's process-wide settings, which SQLite takes only before it starts (its
/// first connection). Applied once, by sfad at start and by the first connection any
/// SalesWire code configures.
///
/// - Memory statistics go: they make every SQLite allocation take one process-wide
///   mutex, which files opening at once (each parsing its schema, thousands of
///   allocations) contended for; nothing in SalesWire reads them.
/// - A statement journal stays in memory up to `statementJournalSpillBytes`. Group
///   commit runs each call in a savepoint, and SQLite keeps a copy of every page the
///   call changes so that the savepoint can roll back: a CreateLead changes about 16
///   pages (its row, the lead's indexes, the audit event's), just over SQLite's
///   default threshold of 64 KiB. That copy therefore went to a temporary file,
///   created and deleted once per batch and written with two `pwrite`s per page:
///   38 `pwrite`s per durable CreateLead instead of 8, and a quarter of sfad's CPU.
public enum SQLiteProcessSettings {
    /// The statement-journal spill threshold, 120 KiB: room for 29 changed pages.
    /// Two limits bound it from above. SQLite allocates the in-memory journal in chunks
    /// of this size, one per savepoint that changes a page, and a chunk of 256 KiB or
    /// more would get a mapping of its own from sfad's allocator
    /// (`sfa_map_allocations_from`): a `mmap`, page faults and a `munmap` per call,
    /// which measured slower than the temporary file. And a spill writes each chunk
    /// with one call of the unix VFS, which writes at most 128 KiB less one byte
    /// (`seekAndWriteFd` masks the size to 17 bits): with a larger threshold, a
    /// savepoint that does outgrow it fails with SQLITE_FULL (SQLite 3.40.1, tested
    /// in StatementJournalTests). Only a connection inside a write transaction holds
    /// a journal; a larger savepoint (an unusually large write) spills to a file.
    public static let statementJournalSpillBytes: Int32 = 120 << 10

    /// Applies the settings if this is the first time; thread-safe.
    /// - Returns: whether SQLite took them: false when it had started before (another
    ///   library opened a database first), and then runs with its defaults.
    @discardableResult
    public static func apply() -> Bool { applied }

    private static let applied =
        sfa_sqlite_disable_memory_statistics() == SQLITE_OK
        && sfa_sqlite_set_statement_journal_spill(statementJournalSpillBytes) == SQLITE_OK
}
