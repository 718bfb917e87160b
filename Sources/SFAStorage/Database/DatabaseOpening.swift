import Foundation
public import GRDB
import GRDBSQLite

/// Opens SQLite files the one way SalesWire uses them: WAL, foreign keys on, a busy
/// timeout, the configured `synchronous`, and statement arguments kept out of errors
/// and logs.
enum DatabaseOpening {
    static func configuration(_ storage: StorageConfiguration) -> Configuration {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.foreignKeysEnabled = true
        let (seconds, attoseconds) = storage.busyTimeout.components
        configuration.busyMode = .timeout(TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
        configuration.publicStatementArguments = false
        return configuration
    }

    /// `PRAGMA synchronous` for the configured durability. It is set on a writer once
    /// open, not while connecting: GRDB's WAL set-up, which runs after a connection's
    /// own preparation, sets `synchronous = NORMAL` and would undo it.
    static func applyDurability(_ storage: StorageConfiguration, to db: Database) throws {
        try db.execute(sql: storage.durability == .powerLoss ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
    }

    static func open(path: String, storage: StorageConfiguration) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: path, configuration: configuration(storage))
        try queue.inDatabase { db in try applyDurability(storage, to: db) }
        return queue
    }

    /// A pool of one writer and up to two readers, for a file that readers use while it
    /// is written (the control plane).
    static func openPool(path: String, storage: StorageConfiguration) throws -> DatabasePool {
        var configuration = configuration(storage)
        configuration.maximumReaderCount = 2
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in try applyDurability(storage, to: db) }
        return pool
    }

    /// The writer of a tenant file, one connection. Tenant files are in WAL mode (the
    /// template is, and the mode is kept in the file), so it is opened without GRDB's
    /// WAL set-up: that commits a dummy CREATE and DROP TABLE, a write and its syncs,
    /// whenever the WAL is missing or empty, which is every open of a file closed
    /// cleanly. The caller checks the mode on its first access (``ensureWAL(_:)``)
    /// and applies the durability (``applyDurability(_:to:)``).
    ///
    /// The writer, which is the file's last connection to close, keeps the WAL (and,
    /// with `.shared` locking, its shared-memory index) on disk when it closes
    /// (`SQLITE_FCNTL_PERSIST_WAL`; the close's checkpoint has emptied the WAL): the
    /// next open finds them, where otherwise each open creates them (inodes to
    /// allocate, and the index's pages to write) and each close deletes them. The price
    /// with `.shared` is the index's 32 KiB per tenant file on disk.
    /// - Parameter existing: opens only a file that exists, never creating one (a
    ///   tenant deleted meanwhile must not come back as an empty file).
    static func openWriter(path: String, storage: StorageConfiguration, existing: Bool = false) throws -> DatabaseQueue {
        var configuration = configuration(storage)
        // Without GRDB's set-up the file's first lock is taken by the first statement:
        // with `.process` locking, this connection's, so the exclusive lock is the
        // writer's and its readers, opened later, share it.
        configuration.journalMode = .default
        configuration.prepareDatabase { db in
            var persist: Int32 = 1
            let code = sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "could not keep the WAL between opens") }
        }
        return try DatabaseQueue(path: tenantFileName(path, storage, existing: existing), configuration: configuration)
    }

    /// The name a tenant file is opened by: a `file:` URI (SQLiteProcessSettings turns
    /// URI names on) naming SQLite's `unix-excl` file system with `.process` locking,
    /// and `mode=rw` for a file that must exist; the plain path when neither applies,
    /// or when this process's SQLite takes no URIs (it had started before its
    /// settings: the file is then opened as with `.shared`, which sfad logs).
    ///
    /// The path is percent-encoded but for the characters a path of a data directory
    /// usually holds, so that `?`, `#` or `%` in it cannot be read as the URI's query
    /// or fragment, and an absolute path gets an empty authority (`file:///…`), so
    /// that one beginning with `//` is not read as a host.
    static func tenantFileName(_ path: String, _ storage: StorageConfiguration, existing: Bool = false) -> String {
        var query: [String] = []
        if storage.tenantFileLocking == .process { query.append("vfs=unix-excl") }
        if existing { query.append("mode=rw") }
        guard !query.isEmpty, SQLiteProcessSettings.acceptsURIFileNames else { return path }
        let encoded = path.addingPercentEncoding(withAllowedCharacters: uriPathCharacters) ?? path
        return (path.hasPrefix("/") ? "file://" : "file:") + encoded + "?" + query.joined(separator: "&")
    }

    /// The characters a tenant file's URI keeps as they are (ASCII only: any other
    /// byte of the path's UTF-8 is percent-encoded).
    private static let uriPathCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-")

    /// Puts a writer's file in WAL mode unless it is already (a read of the header
    /// then): files made before the template existed, or copied in by hand. Runs after
    /// the connection's first read, which is what makes SQLite see the mode.
    static func ensureWAL(_ db: Database) throws {
        guard try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" else { return }
        guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
            throw DatabaseError(message: "could not put the database in WAL mode")
        }
    }

    /// A read-only connection to a tenant file in WAL mode (its writer set the mode),
    /// opened while the writer is: with `.process` locking it shares the writer's lock
    /// and in-memory WAL index.
    static func openReader(path: String, storage: StorageConfiguration) throws -> DatabaseQueue {
        var configuration = configuration(storage)
        configuration.readonly = true
        return try DatabaseQueue(path: tenantFileName(path, storage), configuration: configuration)
    }

    static func createDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
}

extension DatabaseWriter {
    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken at the
    /// start, so a transaction that reads and then writes cannot fail with BUSY half-way.
    public func writeImmediate<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }
}
