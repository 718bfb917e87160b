import Foundation
import SFACodec
import SFAProtoJSON

/// Writing replies: JSON (`--json`), aligned tables, or one `field  value` line per
/// field for a single record.
enum Output {
    /// A reply as pretty-printed JSON (proto3 JSON mapping, proto field names).
    static func json<Message: ProtoMessage>(_ message: Message) throws -> String {
        try ProtoJSONDecoder.decode(message.serializedBytes(), as: Message.cDescriptor).serialized()
    }

    /// Prints `message` as JSON when `json`, else as `field  value` lines.
    static func printRecord<Message: ProtoMessage>(_ message: Message, json: Bool) throws {
        if json {
            print(try self.json(message))
            return
        }
        let value = try ProtoJSONDecoder.decode(
            message.serializedBytes(),
            as: Message.cDescriptor,
            style: .init(shortEnumNames: true)
        )
        var lines: [(String, String)] = []
        flatten(value, prefix: "", into: &lines)
        if lines.isEmpty {
            print("(empty)")
            return
        }
        printPairs(lines)
    }

    /// Prints `name  value` lines with the values aligned.
    static func printPairs(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, text) in pairs {
            print(key + String(repeating: " ", count: width - key.count) + "  " + text)
        }
    }

    /// Nested fields as `outer.inner`, repeated ones as `items[0]`.
    private static func flatten(_ value: JSONValue, prefix: String, into lines: inout [(String, String)]) {
        switch value {
        case .object(let members):
            for member in members {
                let key = prefix.isEmpty ? member.key : prefix + "." + member.key
                flatten(member.value, prefix: key, into: &lines)
            }
        case .array(let elements):
            if elements.allSatisfy({ if case .object = $0 { false } else { true } }) {
                lines.append((prefix, elements.map(scalarText).joined(separator: ", ")))
            } else {
                for (index, element) in elements.enumerated() {
                    flatten(element, prefix: "\(prefix)[\(index)]", into: &lines)
                }
            }
        default:
            var text = scalarText(value)
            if prefix.hasSuffix("_time_ms"), let milliseconds = Int64(text) { text = time(milliseconds) }
            lines.append((prefix, text))
        }
    }

    private static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text), .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .null: "-"
        default: value.serialized(pretty: false)
        }
    }

    /// A Unix time in milliseconds as UTC ISO 8601; `-` for 0 (never / unset).
    static func time(_ milliseconds: Int64) -> String {
        guard milliseconds != 0 else { return "-" }
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return date.formatted(.iso8601)
    }

    /// A duration in milliseconds as `1d 02:03:04` or `12.3s`.
    static func duration(milliseconds: Int64) -> String {
        if milliseconds < 60_000 { return String(format: "%.1fs", Double(milliseconds) / 1000) }
        let seconds = milliseconds / 1000
        let days = seconds / 86_400
        let clock = String(format: "%02lld:%02lld:%02lld", (seconds % 86_400) / 3600, (seconds % 3600) / 60, seconds % 60)
        return days > 0 ? "\(days)d \(clock)" : clock
    }

    /// A byte count as `1.2 MiB`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// The value of a generated enum in lowercase without its prefix, as the command
    /// line spells it: `TenantStatus.suspended` (of `sfa.v1.TenantStatus`) → `suspended`.
    static func enumText(_ value: some ProtoEnum, _ enumName: String) -> String {
        if let descriptor = DescriptorRegistry.enumeration(named: enumName),
           let name = EnumNames.name(of: value.rawValue, in: descriptor) {
            return EnumNames.shortName(name, in: descriptor)
        }
        return String(value.rawValue)
    }
}

/// Columns of text, each as wide as its widest cell.
struct Table {
    let headers: [String]
    private(set) var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }

    mutating func add(_ cells: String...) { rows.append(cells) }

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let last = index == cells.count - 1
                text += last ? cell : cell + String(repeating: " ", count: max(0, widths[index] - cell.count) + 2)
            }
            return text
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }

    /// Prints the table; `(none)` under the headers when it has no rows.
    func print() {
        Swift.print(render())
        if rows.isEmpty { Swift.print("(none)") }
    }
}
