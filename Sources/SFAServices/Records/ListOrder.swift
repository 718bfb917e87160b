import SFAStorage
import SFAStubs

/// The list order a request asks for: creation order (ids sort by creation time),
/// or one of the record type's sort columns with the id breaking ties; ascending or
/// descending. Other orders are refused rather than ignored.
struct ListOrder: Equatable {
    /// Oldest first.
    static let creation = ListOrder(column: nil, descending: false)

    /// The column sorted on before the id; nil for creation order.
    let column: String?
    let descending: Bool

    private init(column: String?, descending: Bool) {
        self.column = column
        self.descending = descending
    }

    /// - Parameters:
    ///   - orderBy: as sent: `""`, `"create_time_ms"`, or a name of `columns`, each
    ///     optionally followed by `asc` or `desc`.
    ///   - columns: order name → column, e.g. `["amount": "amount_sort"]`.
    init(_ orderBy: String, columns: [String: String] = [:]) throws {
        let words = RecordText.key(orderBy).split(separator: " ").map(String.init)
        let name = words.first ?? ""
        let direction = words.count > 1 ? words[1] : "asc"
        guard words.count <= 2, direction == "asc" || direction == "desc", name.isEmpty || name == "create_time_ms" || columns[name] != nil else {
            let names = (["create_time_ms"] + columns.keys.sorted()).map { "\"\($0) [asc|desc]\"" }
            throw RPCError.invalidArgument(
                "unsupported order",
                violations: [FieldViolation("order_by", .unknownValue, "use one of \(names.joined(separator: ", "))")]
            )
        }
        column = columns[name]
        descending = direction == "desc"
    }

    /// The ORDER BY clause.
    var sql: String {
        let direction = descending ? " DESC" : ""
        return column.map { "\($0)\(direction), id\(direction)" } ?? "id\(direction)"
    }
}
