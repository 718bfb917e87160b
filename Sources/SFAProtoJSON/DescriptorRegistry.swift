public import CProtobufC
import CSFAProto

/// The protobuf-c descriptors compiled into this binary (`sfa_registry_*`),
/// looked up by full protobuf name. The registry arrays are immutable C data.
public enum DescriptorRegistry {
    public typealias MessageDescriptor = UnsafePointer<ProtobufCMessageDescriptor>
    public typealias EnumDescriptor = UnsafePointer<ProtobufCEnumDescriptor>
    public typealias ServiceDescriptor = UnsafePointer<ProtobufCServiceDescriptor>

    private static let messagePositions: [String: Int] = Dictionary(
        (0..<Int(sfa_registry_message_count)).map {
            (String(cString: sfa_registry_messages[$0].descriptor.pointee.name), $0)
        },
        uniquingKeysWith: { first, _ in first }
    )

    private static let enumPositions: [String: Int] = Dictionary(
        (0..<Int(sfa_registry_enum_count)).map {
            (String(cString: sfa_registry_enums[$0].descriptor.pointee.name), $0)
        },
        uniquingKeysWith: { first, _ in first }
    )

    private static let servicePositions: [String: Int] = Dictionary(
        (0..<Int(sfa_registry_service_count)).map {
            (String(cString: sfa_registry_services[$0].descriptor.pointee.name), $0)
        },
        uniquingKeysWith: { first, _ in first }
    )

    /// Every message name, sorted.
    public static var messageNames: [String] { messagePositions.keys.sorted() }
    /// Every enum name, sorted.
    public static var enumNames: [String] { enumPositions.keys.sorted() }
    /// Every service name, sorted.
    public static var serviceNames: [String] { servicePositions.keys.sorted() }

    /// A message by full name; `sfa.v1.` may be left off.
    public static func message(named name: String) -> MessageDescriptor? {
        position(of: name, in: messagePositions).map { sfa_registry_messages[$0].descriptor }
    }

    /// An enum by full name; `sfa.v1.` may be left off.
    public static func enumeration(named name: String) -> EnumDescriptor? {
        position(of: name, in: enumPositions).map { sfa_registry_enums[$0].descriptor }
    }

    /// A service by full name; `sfa.v1.` may be left off.
    public static func service(named name: String) -> ServiceDescriptor? {
        position(of: name, in: servicePositions).map { sfa_registry_services[$0].descriptor }
    }

    private static func position(of name: String, in positions: [String: Int]) -> Int? {
        let trimmed = name.hasPrefix(".") ? String(name.dropFirst()) : name
        return positions[trimmed] ?? positions["sfa.v1." + trimmed]
    }

    /// Whether a message is the entry type protoc generates for a `map<K, V>` field:
    /// nested, named `…Entry`, with exactly the fields `key` = 1 and `value` = 2.
    public static func isMapEntry(_ descriptor: MessageDescriptor) -> Bool {
        let message = descriptor.pointee
        guard message.n_fields == 2,
              String(cString: message.short_name).hasSuffix("Entry"),
              let package = message.package_name.map({ String(cString: $0) })
        else { return false }
        let name = String(cString: message.name)
        // Nested: "sfa.v1.Outer.FieldEntry" has one component more than the package.
        let depth = name.split(separator: ".").count - (package.isEmpty ? 0 : package.split(separator: ".").count)
        guard depth >= 2 else { return false }
        let key = message.fields[0]
        let value = message.fields[1]
        return key.id == 1 && value.id == 2
            && String(cString: key.name) == "key" && String(cString: value.name) == "value"
    }
}

extension ProtobufCFieldDescriptor {
    /// The field name as in the .proto file.
    public var protoName: String { String(cString: name) }

    public var isRepeated: Bool { label == PROTOBUF_C_LABEL_REPEATED }

    public var isOneofMember: Bool { flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 }

    /// The descriptor of a message field's type.
    public var messageDescriptor: UnsafePointer<ProtobufCMessageDescriptor>? {
        guard type == PROTOBUF_C_TYPE_MESSAGE, let descriptor else { return nil }
        return descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
    }

    /// The descriptor of an enum field's type.
    public var enumDescriptor: UnsafePointer<ProtobufCEnumDescriptor>? {
        guard type == PROTOBUF_C_TYPE_ENUM, let descriptor else { return nil }
        return descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self)
    }

    /// The proto type as written in a .proto file: `int64`, `string`, `sfa.v1.Lead`, …
    public var typeDisplayName: String {
        if let message = messageDescriptor { return String(cString: message.pointee.name) }
        if let enumeration = enumDescriptor { return String(cString: enumeration.pointee.name) }
        return ProtobufCType.displayName(type)
    }
}

extension ProtobufCType {
    /// The .proto keyword of a scalar type.
    public static func displayName(_ type: ProtobufCType) -> String {
        switch type {
        case PROTOBUF_C_TYPE_INT32: "int32"
        case PROTOBUF_C_TYPE_SINT32: "sint32"
        case PROTOBUF_C_TYPE_SFIXED32: "sfixed32"
        case PROTOBUF_C_TYPE_INT64: "int64"
        case PROTOBUF_C_TYPE_SINT64: "sint64"
        case PROTOBUF_C_TYPE_SFIXED64: "sfixed64"
        case PROTOBUF_C_TYPE_UINT32: "uint32"
        case PROTOBUF_C_TYPE_FIXED32: "fixed32"
        case PROTOBUF_C_TYPE_UINT64: "uint64"
        case PROTOBUF_C_TYPE_FIXED64: "fixed64"
        case PROTOBUF_C_TYPE_FLOAT: "float"
        case PROTOBUF_C_TYPE_DOUBLE: "double"
        case PROTOBUF_C_TYPE_BOOL: "bool"
        case PROTOBUF_C_TYPE_ENUM: "enum"
        case PROTOBUF_C_TYPE_STRING: "string"
        case PROTOBUF_C_TYPE_BYTES: "bytes"
        case PROTOBUF_C_TYPE_MESSAGE: "message"
        default: "unknown"
        }
    }
}

/// Field names as the JSON mapping writes them.
public enum FieldNames {
    /// `owner_user_id` → `ownerUserId` (the proto3 JSON name).
    public static func lowerCamelCase(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" {
                upperNext = true
            } else if upperNext {
                result += character.uppercased()
                upperNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }
}
