import SFAMessages
import SFAProtoJSON

/// A JSON skeleton of a message for `describe --template`: every field with its
/// type's default (64-bit integers as strings, an enum's first value, a repeated
/// field as one element, a map as one entry), nested messages filled in up to a few
/// levels and never inside themselves. Of each oneof only the first member appears,
/// so the template is a request `sfactl call` accepts as it is.
struct RequestTemplate {
    let source: ReflectionSource
    /// Nested messages below this depth are `{}`.
    var maximumDepth = 4

    func json(for message: DescribeMessageResponse) async throws -> JSONValue {
        try await object(message, path: [message.name])
    }

    private func object(_ message: DescribeMessageResponse, path: [String]) async throws -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        var oneofsSeen: Set<String> = []
        for field in message.fields {
            if !field.oneofName.isEmpty, !oneofsSeen.insert(field.oneofName).inserted { continue }
            let element = try await value(field, path: path)
            if field.isMap {
                // The entry message: key = 1, value = 2.
                guard let entry = try await source.message(field.typeName), entry.fields.count == 2 else { continue }
                let key = try await value(entry.fields[0], path: path)
                let keyText: String = switch key {
                case .string(let text), .number(let text): text
                case .bool(let flag): flag ? "true" : "false"
                default: ""
                }
                members.append((field.name, .object([(keyText, try await value(entry.fields[1], path: path))])))
            } else {
                members.append((field.name, field.label == .repeated ? .array([element]) : element))
            }
        }
        return .object(members)
    }

    private func value(_ field: FieldInfo, path: [String]) async throws -> JSONValue {
        switch field.kind {
        case .int64, .sint64, .sfixed64, .uint64, .fixed64: return .string("0")
        case .int32, .sint32, .sfixed32, .uint32, .fixed32, .float, .double: return .number("0")
        case .bool: return .bool(false)
        case .string, .bytes: return .string("")
        case .enumeration:
            let described = try await source.enumeration(field.typeName)
            return .string(described?.values.first?.name ?? "")
        case .message:
            guard !field.isMap, path.count < maximumDepth, !path.contains(field.typeName),
                let nested = try await source.message(field.typeName)
            else { return .object([]) }
            return try await object(nested, path: path + [field.typeName])
        default:
            return .null
        }
    }
}
