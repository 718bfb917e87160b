import GRDB
import Synchronization

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
        let type = ObjectIdentifier(R.self)
        if let known = Self.layouts.withLock({ $0[type] }), let values = known.values(of: row) {
            insertSQL = known.insertSQL
            arguments = StatementArguments(values)
        } else {
            let layout = Layout(table: R.table, columns: row.keys)
            Self.layouts.withLock { $0[type] = layout }
            insertSQL = layout.insertSQL
            // A layout made from this row has exactly its columns.
            arguments = StatementArguments(layout.values(of: row)!)
        }
    }

    /// The columns of a record type's rows in INSERT order, and the statement's text.
    private struct Layout: Sendable {
        let names: [String]
        let insertSQL: String

        init(table: String, columns: some Collection<String>) {
            names = columns.sorted()
            insertSQL = "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        }

        /// The row's values in this layout's order; nil when the row's columns are
        /// not this layout's.
        func values(of row: [String: (any DatabaseValueConvertible)?]) -> [(any DatabaseValueConvertible)?]? {
            guard row.count == names.count else { return nil }
            var values: [(any DatabaseValueConvertible)?] = []
            values.reserveCapacity(names.count)
            for name in names {
                guard let value = row[name] else { return nil }
                values.append(value)
            }
            return values
        }
    }

    /// Each record type's layout, worked out from its first row: every type's
    /// `columns` is a dictionary literal, the same names for every record (a row with
    /// other columns would replace its type's layout, correct but not cached). Sorting
    /// the names and writing the statement's text for every new record was a fifth of
    /// the row's cost before a create's write (docs/benchmarks.md).
    private static let layouts = Mutex<[ObjectIdentifier: Layout]>([:])

    /// Inserts the row through the connection's prepared statement for its text.
    func insert(_ db: Database) throws {
        try db.cachedStatement(sql: insertSQL).execute(arguments: arguments)
    }
}
