import Foundation
import GRDB
import GRDBSQLite
import SFAStorage
import SFAStubs

/// Rows of record tables, through statements prepared once per connection and
/// reused (`cachedStatement`): no SQL is generated, authorized or analysed per call.
enum RecordRows {
    /// The record with `id` if it exists and is within the caller's scope.
    /// - Throws: NOT_FOUND otherwise (a record out of scope does not exist for the caller).
    static func fetch<R: TenantRecord>(_ db: Database, _: R.Type, id: String, access: RecordAccess) throws -> R {
        guard let record = try find(db, R.self, id: id, access: access) else {
            throw StorageError.notFound(kind: R.table, id: id)
        }
        return record
    }

    /// The record with `id` if it exists and is within the caller's scope.
    static func find<R: TenantRecord>(_ db: Database, _: R.Type, id: String, access: RecordAccess) throws -> R? {
        try findEncoded(db, R.self, id: id, access: access).map { try $0.decoded() }
    }

    /// The record with `id` whatever the caller's scope: for rules that follow a link
    /// the caller did not choose (an opportunity's source lead) and tenant-wide records.
    static func find<R: TenantRecord>(_ db: Database, _: R.Type, id: String) throws -> R? {
        try findEncoded(db, R.self, id: id, scope: ("1", [])).map { try $0.decoded() }
    }

    /// The stored encoding of the record with `id`, if it exists and is within the caller's scope.
    static func findEncoded<R: TenantRecord>(_ db: Database, _: R.Type, id: String, access: RecordAccess) throws -> EncodedMessage<R>? {
        try findEncoded(db, R.self, id: id, scope: access.scope(R.self))
    }

    private static func findEncoded<R: TenantRecord>(
        _ db: Database,
        _: R.Type,
        id: String,
        scope: (sql: String, arguments: StatementArguments)
    ) throws -> EncodedMessage<R>? {
        let statement = try db.cachedStatement(sql: "SELECT data FROM \(R.table) WHERE id = ? AND \(scope.sql)")
        let rows = try Row.fetchCursor(statement, arguments: [id] + scope.arguments)
        guard try rows.next() != nil else { return nil }
        let record = EncodedMessage<R>(bytes: storedBytes(statement, column: 0))
        // Run the statement to its end (ids are unique), so it does not stay active.
        while try rows.next() != nil {}
        return record
    }

    /// The ids and stored encodings of a statement that selects `id, data`, and the
    /// value of a third column (a list's sort column) when it selects one.
    static func fetchAllEncoded<R: TenantRecord>(
        _ db: Database,
        _: R.Type,
        sql: String,
        arguments: StatementArguments
    ) throws -> [(id: String, record: EncodedMessage<R>, sortValue: DatabaseValue?)] {
        let statement = try db.cachedStatement(sql: sql)
        // A cursor's rows point into the statement: each blob is copied once, straight
        // from SQLite's buffer into the bytes kept.
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        var records: [(id: String, record: EncodedMessage<R>, sortValue: DatabaseValue?)] = []
        let sorted = statement.columnCount > 2
        while let row = try rows.next() {
            records.append((row[0], EncodedMessage(bytes: storedBytes(statement, column: 1)), sorted ? row[2] as DatabaseValue : nil))
        }
        return records
    }

    /// The blob in `column` of the row `statement` is on, copied once from SQLite's
    /// buffer (no `Data` in between: this runs for every record a read returns).
    private static func storedBytes(_ statement: Statement, column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement.sqliteStatement, column))
        guard count > 0, let blob = sqlite3_column_blob(statement.sqliteStatement, column) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: blob, count: count))
    }

    static func insert<R: TenantRecord>(_ db: Database, _ record: R) throws {
        let row = self.row(record)
        let names = row.keys.sorted()
        let statement = try db.cachedStatement(
            sql: "INSERT INTO \(R.table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        )
        let values: [(any DatabaseValueConvertible)?] = names.map { row[$0] ?? nil }
        try statement.execute(arguments: StatementArguments(values))
    }

    /// Stores `record` over the row if that row's version is still `expectedVersion`.
    /// - Throws: `StorageError.staleVersion` otherwise.
    static func update<R: TenantRecord>(_ db: Database, _ record: R, expectedVersion: Int64) throws {
        var row = self.row(record)
        row["id"] = nil
        let names = row.keys.sorted()
        let statement = try db.cachedStatement(
            sql: "UPDATE \(R.table) SET \(names.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ? AND version = ?"
        )
        let values: [(any DatabaseValueConvertible)?] = names.map { row[$0] ?? nil }
        try statement.execute(arguments: StatementArguments(values) + [record.id, expectedVersion])
        guard db.changesCount == 1 else {
            let current = try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM \(R.table) WHERE id = ?"), arguments: [record.id]) ?? 0
            throw StorageError.staleVersion(kind: R.table, id: record.id, current: current)
        }
    }

    private static func row<R: TenantRecord>(_ record: R) -> [String: (any DatabaseValueConvertible)?] {
        var row = record.columns
        row["id"] = record.id
        row["version"] = record.version
        row["data"] = Data(record.serializedBytes())
        return row
    }
}
