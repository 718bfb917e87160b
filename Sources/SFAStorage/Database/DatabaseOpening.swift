import Foundation
public import GRDB

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

    /// A pool of one writer and one reader: business reads use connections of their
    /// own (`TenantDatabases.read`); the pool's reader serves migrations, backups and
    /// maintenance. The caller applies the durability on the writer
    /// (``applyDurability(_:to:)``), with the rest of its first access.
    static func openPool(path: String, storage: StorageConfiguration) throws -> DatabasePool {
        var configuration = configuration(storage)
        configuration.maximumReaderCount = 1
        return try DatabasePool(path: path, configuration: configuration)
    }

    /// A read-only connection to a database in WAL mode (its writer set the mode).
    static func openReader(path: String, storage: StorageConfiguration) throws -> DatabaseQueue {
        var configuration = configuration(storage)
        configuration.readonly = true
        return try DatabaseQueue(path: path, configuration: configuration)
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
