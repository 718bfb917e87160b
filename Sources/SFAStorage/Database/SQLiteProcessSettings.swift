import CSQLiteConfiguration
import GRDBSQLite

/// SQLite's process-wide settings, which SQLite takes only before it starts (its
/// first connection). They are applied when the program is loaded, by a constructor
/// in `CSQLiteConfiguration`, so that no code opening a database first (a test
/// suite's own queue, a tool) can leave a process without them.
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
///   38 `pwrite`s per durable CreateLead instead of 8 (docs/benchmarks.md).
/// - File names may be URIs (`file:…?vfs=…`): how a tenant file is opened with the
///   file system its locking needs (``StorageConfiguration/TenantFileLocking``), since
///   GRDB opens connections without `SQLITE_OPEN_URI`.
public enum SQLiteProcessSettings {
    /// The statement-journal spill threshold, 120 KiB: room for 29 changed pages.
    /// Two limits bound it from above. SQLite keeps the in-memory journal in chunks of
    /// this size; a connection's journal is emptied, and its chunk freed, whenever its
    /// outermost savepoint ends, so each call of a batch allocates one again. A chunk
    /// of 256 KiB or more would get a mapping of its own from sfad's allocator
    /// (`sfa_map_allocations_from`): a `mmap`, page faults and a `munmap` per call,
    /// which measured slower than the temporary file. And a spill writes each chunk
    /// with one call of the unix VFS, which writes at most 128 KiB less one byte
    /// (`seekAndWriteFd` masks the size to 17 bits): with a larger threshold, a
    /// savepoint that does outgrow it fails with SQLITE_FULL (SQLite 3.40.1, tested
    /// in StatementJournalTests). Only a connection inside a write transaction holds
    /// a journal; a larger savepoint (an unusually large write) spills to a file.
    public static let statementJournalSpillBytes = Int(SFA_STATEMENT_JOURNAL_SPILL_BYTES)

    /// Whether SQLite took the settings when the program was loaded: false only when
    /// it had started before (another library's load-time code opened a database),
    /// and then runs with its defaults.
    public static var areApplied: Bool { sfa_sqlite_configure_process() == 1 }

    /// Whether SQLite reads file names beginning with `file:` as URIs: when the
    /// settings were applied, or when the library was built to (`SQLITE_USE_URI`).
    public static let acceptsURIFileNames = areApplied || sqlite3_compileoption_used("USE_URI") == 1

    /// `path` as SQLite must be given it once URI names are on: a path beginning with
    /// `file:` would be read as a URI (and its `?…` as options), so it gets `./` in
    /// front. For directories that SQLite files are made in (the data directory, the
    /// cluster's handoff directory).
    public static func literalPath(_ path: String) -> String {
        path.hasPrefix("file:") ? "./" + path : path
    }
}
