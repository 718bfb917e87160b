import GRDB
import SFAStorage
import SFAStubs

extension QueryInterfaceRequest<Row> {
    /// One page in id order (ids sort by creation time), after the page token's id.
    func page(_ page: PageRequest, order: ListOrder) -> QueryInterfaceRequest<Row> {
        var request = self
        switch order {
        case .oldestFirst:
            if let after = page.after { request = request.filter(Column("id") > after) }
            request = request.order(Column("id"))
        case .newestFirst:
            if let after = page.after { request = request.filter(Column("id") < after) }
            request = request.order(Column("id").desc)
        }
        return request.limit(page.size)
    }

    /// Records whose `column` (milliseconds) lies in `range`: start inclusive, end exclusive, 0 = open.
    func filter(range: TimeRange, column: String) -> QueryInterfaceRequest<Row> {
        var request = self
        if range.startTimeMs > 0 { request = request.filter(Column(column) >= range.startTimeMs) }
        if range.endTimeMs > 0 { request = request.filter(Column(column) < range.endTimeMs) }
        return request
    }
}

/// The audit changes between two versions of a record: for each field an update
/// named (proto field names), its value before and after, when it changed. Values
/// are read by reflection from the generated types, so this works for every record.
enum FieldDiff {
    static func changes<M: ProtoMessage>(_ before: M, _ after: M, fields: Set<String>) -> [FieldChange] {
        let beforeValues = values(before)
        let afterValues = values(after)
        return fields.sorted().compactMap { field in
            let name = camelCase(field)
            let old = beforeValues[name] ?? ""
            let new = afterValues[name] ?? ""
            return old == new ? nil : AuditLog.change(field, before: old, after: new)
        }
    }

    private static func values(_ message: some ProtoMessage) -> [String: String] {
        var values: [String: String] = [:]
        for child in Mirror(reflecting: message).children {
            guard let label = child.label else { continue }
            values[label] = describe(child.value)
        }
        return values
    }

    /// Optionals print as their value or "null"; everything else as Swift prints it.
    private static func describe(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            return mirror.children.first.map { describe($0.value) } ?? "null"
        }
        return String(describing: value)
    }

    private static func camelCase(_ snake: String) -> String {
        let parts = snake.split(separator: "_")
        return (parts.first.map(String.init) ?? "") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
