import CSQLiteConfiguration
import GRDBSQLite

/// SQLite's process-wide settings, which SQLite takes only before it starts (its
/// first connection). Memory statistics go: they make every SQLite allocation take one
/// process-wide mutex, which files opening at once (each parsing its schema, thousands
/// of allocations) contended for; nothing in SalesWire reads them. Applied once, by
/// sfad at start and by the first connection any SalesWire code configures.
public enum SQLiteProcessSettings {
    /// Applies the settings if this is the first time; thread-safe.
    /// - Returns: whether SQLite took them: false when it had started before (another
    ///   library opened a database first), and then runs with its defaults.
    @discardableResult
    public static func apply() -> Bool { applied }

    private static let applied = sfa_sqlite_disable_memory_statistics() == SQLITE_OK
}
