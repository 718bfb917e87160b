import SFAStorage
import SFAStubs

/// The audit changes between two versions of a record: for each field (proto names)
/// its value before and after, when it changed. Values are read by reflection from
/// the generated types, so this works for every record.
enum FieldDiff {
    /// Fields every write changes; the audit event carries the new version itself.
    private static let bookkeeping: Set<String> = ["version", "update_time_ms"]

    /// Changes of every field but the bookkeeping ones.
    static func changes<M: ProtoMessage>(_ before: M, _ after: M) -> [FieldChange] {
        changes(before, after, fields: M.fieldNames.subtracting(bookkeeping))
    }

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

    /// Optionals print as their value or "null"; maps with their entries sorted (a
    /// dictionary's own order differs between equal values); everything else as
    /// Swift prints it.
    private static func describe(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { describe($0.value) } ?? "null"
        case .dictionary:
            let entries = mirror.children.map { entry -> String in
                let pair = Array(Mirror(reflecting: entry.value).children)
                return pair.count == 2 ? "\(describe(pair[0].value)): \(describe(pair[1].value))" : describe(entry.value)
            }
            return "[" + entries.sorted().joined(separator: ", ") + "]"
        default:
            return String(describing: value)
        }
    }

    private static func camelCase(_ snake: String) -> String {
        let parts = snake.split(separator: "_")
        return (parts.first.map(String.init) ?? "") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
