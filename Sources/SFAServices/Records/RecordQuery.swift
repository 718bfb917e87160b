import GRDB
import SFAStorage
import SFAStubs

/// The filters of one list over a record table, as SQL conditions with their
/// arguments. The text depends only on which filters are present (lists of values
/// are one JSON argument), so the statement of each combination is prepared once
/// per connection and reused.
struct RecordQuery<R: TenantRecord> {
    private(set) var conditions: [String] = []
    private(set) var arguments = StatementArguments()

    /// Adds a condition written in SQL with its arguments.
    mutating func filter(_ sql: String, _ arguments: StatementArguments = []) {
        conditions.append(sql)
        self.arguments += arguments
    }

    /// `column = value`, unless `value` is empty (no filter).
    mutating func equals(_ column: String, _ value: String) {
        if !value.isEmpty { filter("\(column) = ?", [value]) }
    }

    /// `column` is one of `values`, unless there are none (no filter).
    mutating func anyOf(_ column: String, _ values: [String]) {
        if !values.isEmpty { filter("\(column) IN (SELECT value FROM json_each(?))", [SQLJSON.array(values)]) }
    }

    /// `column` holds one of the enum `values`, unless there are none (no filter).
    mutating func anyOf<E: ProtoEnum>(_ column: String, _ values: [E]) {
        if !values.isEmpty { filter("\(column) IN (SELECT value FROM json_each(?))", [SQLJSON.array(values.map(\.rawValue))]) }
    }

    /// `column` (milliseconds) in `range`: start inclusive, end exclusive, 0 = open.
    mutating func within(_ column: String, _ range: TimeRange?) {
        guard let range else { return }
        if range.startTimeMs > 0 { filter("\(column) >= ?", [range.startTimeMs]) }
        if range.endTimeMs > 0 { filter("\(column) < ?", [range.endTimeMs]) }
    }

    /// `column` (YYYY-MM-DD) in `range`: both sides inclusive, empty = open.
    mutating func within(_ column: String, dates range: DateRange?) {
        guard let range else { return }
        if !range.startDate.isEmpty { filter("\(column) >= ?", [range.startDate]) }
        if !range.endDate.isEmpty { filter("\(column) <= ?", [range.endDate]) }
    }

    /// The record's `search` column contains `query` (normalised, wildcards escaped).
    mutating func search(_ query: String) {
        if !query.isEmpty { filter("search LIKE ? ESCAPE '\\'", [RecordText.likePattern(query)]) }
    }

    /// Owned by a member of a team (`members` nil: no team filter).
    mutating func ownedBy(_ members: [String]?) {
        if let members { filter("owner_user_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(members)]) }
    }

    /// Archived records only when asked for.
    mutating func archived(included: Bool) {
        if !included { filter("archived = 0") }
    }
}

/// A list request's page: its size, its order, and where the page token says it
/// resumes. The token is bound to the request itself with its page fields cleared,
/// so a token replayed with any other filter, order or query is refused.
struct ListPage<Request: ProtoMessage> {
    let request: PageRequest
    let order: ListOrder

    /// - Parameter orders: the sort columns the list offers besides creation order
    ///   (order name → column).
    /// - Throws: INVALID_ARGUMENT for an unsupported order or a token this list did not issue.
    init(_ listRequest: Request, pageSize: Int32, pageToken: String, orderBy: String, orders: [String: String] = [:]) throws {
        var bound = listRequest
        try bound.merge(from: Request(), fields: ["page_size", "page_token"])
        order = try ListOrder(orderBy, columns: orders)
        request = try PageRequest(pageSize: pageSize, pageToken: pageToken, binding: Array(Request.protoName.utf8) + [0] + bound.serializedBytes())
        guard request.after == nil || (order.column == nil) == (request.afterSortValue == nil) else {
            throw StorageError.invalidPageToken
        }
    }

    /// The SQL of this page over `query`, in the caller's scope: it selects `id`,
    /// `data`, the derived columns and, for a column order, that column (the next
    /// token's sort value).
    func sql<R: TenantRecord>(
        _ query: RecordQuery<R>,
        scope: (sql: String, arguments: StatementArguments),
        hiding hidden: Set<String> = []
    ) -> (sql: String, arguments: StatementArguments) {
        var conditions = [scope.sql] + query.conditions
        var arguments = scope.arguments + query.arguments
        let after = order.descending ? "<" : ">"
        if let id = request.after {
            if let column = order.column, let value = request.afterSortValue {
                // Keyset: past the last row's (value, id), written so the index on
                // (column, id) serves it.
                conditions.append("(\(column) \(after) ? OR (\(column) = ? AND id \(after) ?))")
                arguments += [value, value, id]
            } else {
                conditions.append("id \(after) ?")
                arguments += [id]
            }
        }
        let selected = RecordRows.selected(R.self, ["id", "data"], hiding: hidden) + (order.column.map { ", \($0)" } ?? "")
        let sql = "SELECT \(selected) FROM \(R.table) WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(order.sql) LIMIT ?"
        return (sql, arguments + [request.size])
    }

}

extension TenantStore {
    /// One page of `R` matching `query` within the caller's scope, and the token of
    /// the next page ("" after the last). `withinScope` false is for records whose
    /// visibility a parent record already decided (the contacts of an account the
    /// caller may see).
    func list<R: TenantRecord, Request: ProtoMessage>(
        _: R.Type,
        _ query: RecordQuery<R>,
        page: ListPage<Request>,
        access: RecordAccess,
        withinScope: Bool = true
    ) async throws -> (records: [R], nextPageToken: String) {
        let (records, next) = try await listEncoded(R.self, query, page: page, access: access, withinScope: withinScope)
        return (try records.map { try $0.decoded() }, next)
    }

    /// ``list(_:_:page:access:withinScope:)`` as the records' stored encodings.
    func listEncoded<R: TenantRecord, Request: ProtoMessage>(
        _: R.Type,
        _ query: RecordQuery<R>,
        page: ListPage<Request>,
        access: RecordAccess,
        withinScope: Bool = true
    ) async throws -> (records: [EncodedMessage<R>], nextPageToken: String) {
        let (sql, arguments) = page.sql(query, scope: withinScope ? access.readScope(R.self) : ("1", []), hiding: access.hiddenColumns(R.self))
        let rows = try await read(access) { db in try RecordRows.fetchAllEncoded(db, R.self, sql: sql, arguments: arguments) }
        return (rows.map(\.record), page.request.nextToken(lastID: rows.last?.id, sortValue: rows.last?.sortValue, count: rows.count))
    }

    /// A list response (`recordsField` holding the records, `next_page_token`) written
    /// from the records' stored encodings.
    func listResponse<Response: ProtoMessage, R: TenantRecord>(
        _: Response.Type,
        recordsField: String,
        records: [EncodedMessage<R>],
        nextPageToken: String
    ) throws -> EncodedMessage<Response> {
        var writer = ProtoFieldWriter<Response>()
        try writer.append(recordsField, encodedElements: records.map(\.bytes))
        try writer.append("next_page_token", string: nextPageToken)
        return writer.message
    }
}
