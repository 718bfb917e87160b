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

    /// The records with `ids` that exist, whatever the caller's scope (for records a
    /// readable one lists: a daily report's activities), in the order of `ids`.
    static func findAll<R: TenantRecord>(_ db: Database, _: R.Type, ids: [String]) throws -> [R] {
        guard !ids.isEmpty else { return [] }
        let sql = "SELECT \(selected(R.self, ["id", "data"])) FROM \(R.table) WHERE id IN (SELECT value FROM json_each(?))"
        let found = try fetchAllEncoded(db, R.self, sql: sql, arguments: [SQLJSON.array(ids)])
        let byID = Dictionary(found.map { ($0.id, $0.record) }, uniquingKeysWith: { first, _ in first })
        return try ids.compactMap { try byID[$0]?.decoded() }
    }

    /// The stored encoding of the record with `id`, if it exists and is within the caller's scope.
    static func findEncoded<R: TenantRecord>(_ db: Database, _: R.Type, id: String, access: RecordAccess) throws -> EncodedMessage<R>? {
        try findEncoded(db, R.self, id: id, scope: access.scope(R.self), hiding: access.hiddenColumns(R.self))
    }

    /// The stored encoding of the record with `id`, if it exists and satisfies `scope`
    /// (reads pass `RecordAccess.readScope`, which lets a record's readers in).
    static func findEncoded<R: TenantRecord>(
        _ db: Database,
        _: R.Type,
        id: String,
        scope: (sql: String, arguments: StatementArguments),
        hiding hidden: Set<String> = []
    ) throws -> EncodedMessage<R>? {
        let statement = try db.cachedStatement(sql: "SELECT \(selected(R.self, ["id", "data"], hiding: hidden)) FROM \(R.table) WHERE id = ? AND \(scope.sql)")
        var record: EncodedMessage<R>?
        // Every row is stepped through (ids are unique), so the statement does not stay active.
        try forEachRow(statement, arguments: [id] + scope.arguments) { _ in
            if record == nil { record = EncodedMessage(bytes: storedBytes(statement, column: 1) + (try derivedFields(R.self, statement, from: 2))) }
        }
        return record
    }

    /// What a statement reading records selects: `leading` (e.g. `id, data`), then
    /// the record type's derived columns, 0 in place of the `hidden` ones (what the
    /// caller may not read: `RecordAccess.hiddenColumns`).
    static func selected<R: TenantRecord>(_: R.Type, _ leading: [String], hiding hidden: Set<String> = []) -> String {
        (leading + R.derivedColumns.map { hidden.contains($0) ? "0" : $0 }).joined(separator: ", ")
    }

    /// The ids and stored encodings (with their derived fields) of a statement that
    /// selects ``selected(_:_:)`` of `id, data`, and the value of one more column (a
    /// list's sort column) when it selects one.
    static func fetchAllEncoded<R: TenantRecord>(
        _ db: Database,
        _: R.Type,
        sql: String,
        arguments: StatementArguments
    ) throws -> [(id: String, record: EncodedMessage<R>, sortValue: DatabaseValue?)] {
        let statement = try db.cachedStatement(sql: sql)
        var records: [(id: String, record: EncodedMessage<R>, sortValue: DatabaseValue?)] = []
        let sortColumn = 2 + R.derivedColumns.count
        let sorted = statement.columnCount > sortColumn
        try forEachRow(statement, arguments: arguments) { id in
            let bytes = storedBytes(statement, column: 1) + (try derivedFields(R.self, statement, from: 2))
            let sortValue = sorted ? DatabaseValue(sqliteStatement: statement.sqliteStatement, index: CInt(sortColumn)) : nil
            records.append((id, EncodedMessage(bytes: bytes), sortValue))
        }
        return records
    }

    /// Runs `statement` and calls `body` on each of its rows while the statement stands
    /// on it, with the row's first column, a record's id; `body` reads the others from
    /// the statement (``storedBytes(_:column:)``) and must not use the database, whose
    /// cached statement it would reset mid-loop. Each blob is then copied once, from
    /// SQLite's buffer into the bytes kept, and nothing else is built per call: a cursor
    /// of GRDB `Row`s makes a table of the statement's column names (lowercased) every
    /// time it is made: a third of what reading one lead cost sfad (docs/benchmarks.md).
    static func forEachRow(_ statement: Statement, arguments: StatementArguments, _ body: (_ id: String) throws -> Void) throws {
        let ids = try String.fetchCursor(statement, arguments: arguments)
        while let id = try ids.next() { try body(id) }
    }

    /// The derived columns of the row `statement` is on (from column `first` on) as
    /// encoded fields, to append to the stored encoding: the last occurrence of a
    /// scalar field wins.
    private static func derivedFields<R: TenantRecord>(_: R.Type, _ statement: Statement, from first: Int) throws -> [UInt8] {
        guard !R.derivedColumns.isEmpty else { return [] }
        var writer = ProtoFieldWriter<R>()
        for (offset, column) in R.derivedColumns.enumerated() {
            try writer.append(column, integer: Int64(sqliteStatement: statement.sqliteStatement, index: CInt(first + offset)))
        }
        return writer.message.bytes
    }

    /// The blob in `column` of the row `statement` is on, copied once from SQLite's
    /// buffer (no `Data` in between: this runs for every record a read returns).
    static func storedBytes(_ statement: Statement, column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement.sqliteStatement, column))
        guard count > 0, let blob = sqlite3_column_blob(statement.sqliteStatement, column) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: blob, count: count))
    }

    static func insert<R: TenantRecord>(_ db: Database, _ record: R) throws {
        try RecordRow(record).insert(db)
    }

    /// Stores `record` over the row if that row's version is still `expectedVersion`.
    /// - Throws: `StorageError.staleVersion` otherwise.
    static func update<R: TenantRecord>(_ db: Database, _ record: R, expectedVersion: Int64) throws {
        var row = try self.row(record)
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

    /// The row of `record`; `data` leaves out its derived fields (their columns hold them).
    static func row<R: TenantRecord>(_ record: R) throws -> [String: (any DatabaseValueConvertible)?] {
        var row = record.columns
        row["id"] = record.id
        row["version"] = record.version
        var stored = record
        if !R.derivedColumns.isEmpty { try stored.merge(from: R(), fields: R.derivedColumns) }
        row["data"] = Data(stored.serializedBytes())
        return row
    }
}
