import GRDB

/// A new record's row as its INSERT stores it: the statement's text and its
/// arguments, worked out from the record alone. A create works it out before its
/// write is queued (`PreparedRecord`), so that the tenant's writer, which runs the
/// writes of a file one after another, spends its time on the insert only.
struct RecordRow: Sendable {
    let insertSQL: String
    /// The values in column order, already converted for SQLite. Built from optional
    /// existentials: GRDB's initializer for a sequence of one concrete value type maps
    /// it through a key path, which the runtime instantiates on every call (17% of the
    /// writer's samples in a CreateLead run when it ran there; docs/benchmarks.md).
    let arguments: StatementArguments

    init<R: TenantRecord>(_ record: R) throws {
        let row = try RecordRows.row(record)
        let names = row.keys.sorted()
        insertSQL = "INSERT INTO \(R.table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        let values: [(any DatabaseValueConvertible)?] = names.map { name in row[name] ?? nil }
        arguments = StatementArguments(values)
    }

    /// Inserts the row through the connection's prepared statement for its text.
    func insert(_ db: Database) throws {
        try db.cachedStatement(sql: insertSQL).execute(arguments: arguments)
    }
}
