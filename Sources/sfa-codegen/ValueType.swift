import CProtobufC

/// How one protobuf value (a singular field, one element of a repeated field, a map
/// key or value) is represented in Swift and converted to and from protobuf-c's C.
enum ValueType {
    case number(swiftType: String)
    case bool
    case string
    case bytes
    case enumeration(swiftType: String, cType: String)
    case message(swiftType: String)

    init(field: DescriptorModel.FieldInfo, model: DescriptorModel) throws {
        switch field.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32:
            self = .number(swiftType: "Int32")
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
            self = .number(swiftType: "UInt32")
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64:
            self = .number(swiftType: "Int64")
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
            self = .number(swiftType: "UInt64")
        case PROTOBUF_C_TYPE_FLOAT:
            self = .number(swiftType: "Float")
        case PROTOBUF_C_TYPE_DOUBLE:
            self = .number(swiftType: "Double")
        case PROTOBUF_C_TYPE_BOOL:
            self = .bool
        case PROTOBUF_C_TYPE_STRING:
            self = .string
        case PROTOBUF_C_TYPE_BYTES:
            self = .bytes
        case PROTOBUF_C_TYPE_ENUM:
            guard let name = field.typeName, let info = model.enums[name] else {
                throw ScanError(description: "unknown enum type of field \(field.name)")
            }
            self = .enumeration(swiftType: info.shortName, cType: info.cName)
        case PROTOBUF_C_TYPE_MESSAGE:
            guard let name = field.typeName, let info = model.messages[name] else {
                throw ScanError(description: "unknown message type of field \(field.name)")
            }
            self = .message(swiftType: info.shortName)
        default:
            throw ScanError(description: "unsupported type of field \(field.name)")
        }
    }

    /// The Swift type.
    var swiftType: String {
        switch self {
        case .number(let swiftType): swiftType
        case .bool: "Bool"
        case .string: "String"
        case .bytes: "[UInt8]"
        case .enumeration(let swiftType, _): swiftType
        case .message(let swiftType): swiftType
        }
    }

    /// The proto3 default as a Swift expression (messages have none: they are optional).
    var defaultValue: String {
        switch self {
        case .number: "0"
        case .bool: "false"
        case .string: "\"\""
        case .bytes: "[]"
        case .enumeration(let swiftType, _): "\(swiftType)()"
        case .message: "nil"
        }
    }

    /// A Swift expression testing whether `value` is the default, so encoding can
    /// leave the C default in place; `nil` when the check costs more than it saves.
    func isDefault(_ value: String) -> String? {
        switch self {
        case .string, .bytes: "\(value).isEmpty"
        default: nil
        }
    }

    /// The Swift value of the C expression `c`.
    func decode(_ c: String) -> String {
        switch self {
        case .number: c
        case .bool: "\(c) != 0"
        case .string: "ProtoDecoding.string(\(c))"
        case .bytes: "ProtoDecoding.bytes(\(c))"
        case .enumeration(let swiftType, _): "\(swiftType)(rawValue: .init(truncatingIfNeeded: \(c).rawValue))"
        case .message(let swiftType): "\(swiftType)(cMessage: \(c)!)"
        }
    }

    /// The C value of the Swift expression `value`; may allocate from `arena`.
    func encode(_ value: String) -> String {
        switch self {
        case .number: value
        case .bool: "\(value) ? 1 : 0"
        case .string: "arena.cString(\(value))"
        case .bytes: "arena.binary(\(value))"
        case .enumeration(_, let cType): "\(cType)(rawValue: .init(truncatingIfNeeded: \(value).rawValue))"
        case .message: "arena.message(\(value))"
        }
    }

    /// The C array for the Swift array `values` (a repeated field).
    func encodeArray(_ values: String) -> String {
        switch self {
        case .string: "arena.stringArray(\(values))"
        case .bytes: "arena.binaryArray(\(values))"
        case .message: "arena.messageArray(\(values))"
        case .number, .bool, .enumeration: "arena.array(\(values)) { \(encode("$0")) }"
        }
    }

    /// The Swift array of a C repeated field with `count` elements at `elements`.
    func decodeArray(count: String, elements: String) -> String {
        switch self {
        case .message: "ProtoDecoding.messages(\(count), \(elements))"
        case .number: "ProtoDecoding.array(\(count), \(elements)) { $0 }"
        default: "ProtoDecoding.array(\(count), \(elements)) { \(decode("$0")) }"
        }
    }
}
