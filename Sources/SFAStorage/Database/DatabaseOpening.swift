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
        let synchronous = storage.durability == .powerLoss ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        return configuration
    }

    static func open(path: String, storage: StorageConfiguration) throws -> DatabaseQueue {
        try DatabaseQueue(path: path, configuration: configuration(storage))
    }

    /// A pool of one writer and one reader: business reads use connections of their
    /// own (`TenantDatabases.read`); the pool's reader serves migrations, backups and
    /// maintenance.
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
