import GRDB

/// A new record's row as its INSERT stores it: the statement's text and its values,
/// worked out from the record alone. A create works it out before its write is
/// queued (`PreparedRecord`), so that the tenant's writer, which runs the writes of
/// a file one after another, spends its time on the insert only.
struct RecordRow: Sendable {
    let insertSQL: String
    let values: [DatabaseValue]

    init<R: TenantRecord>(_ record: R) throws {
        let row = try RecordRows.row(record)
        let names = row.keys.sorted()
        insertSQL = "INSERT INTO \(R.table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        values = names.map { name in row[name].flatMap { $0?.databaseValue } ?? .null }
    }

    /// Inserts the row through the connection's prepared statement for its text.
    func insert(_ db: Database) throws {
        try db.cachedStatement(sql: insertSQL).execute(arguments: StatementArguments(values))
    }
}
