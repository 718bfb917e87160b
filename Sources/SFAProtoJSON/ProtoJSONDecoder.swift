import CProtobufC
import Foundation

/// Protobuf bytes → JSON for any message, driven by its protobuf-c descriptor:
/// `protobuf_c_message_unpack` builds the C struct, which is walked field by field.
///
/// Follows the proto3 JSON mapping, with the field names as in the .proto: fields at
/// their default are left out (unless `includeDefaults`), 64-bit integers are strings,
/// enums are value names, bytes are base64, maps are objects.
public enum ProtoJSONDecoder {
    /// How values are written.
    public struct Style: Sendable {
        /// Write fields at their default too (unset messages as `null`).
        public var includeDefaults = false
        /// Enum values without their prefix, in lowercase (`active` for
        /// `TENANT_STATUS_ACTIVE`), for tables rather than machines.
        public var shortEnumNames = false

        public init(includeDefaults: Bool = false, shortEnumNames: Bool = false) {
            self.includeDefaults = includeDefaults
            self.shortEnumNames = shortEnumNames
        }
    }

    public static func decode(
        _ bytes: [UInt8],
        as descriptor: DescriptorRegistry.MessageDescriptor,
        style: Style = Style()
    ) throws(ProtoJSONError) -> JSONValue {
        let unpacked: UnsafeMutablePointer<ProtobufCMessage>? = bytes.withUnsafeBufferPointer { buffer in
            var byte: UInt8 = 0
            return withUnsafePointer(to: &byte) { empty in
                protobuf_c_message_unpack(descriptor, nil, buffer.count, buffer.baseAddress ?? empty)
            }
        }
        guard let unpacked else {
            throw ProtoJSONError("the bytes are not a valid \(String(cString: descriptor.pointee.name)) (\(bytes.count) bytes)")
        }
        defer { protobuf_c_message_free_unpacked(unpacked, nil) }
        return object(UnsafeRawPointer(unpacked), descriptor, style: style)
    }

    private static func object(
        _ message: UnsafeRawPointer,
        _ descriptor: DescriptorRegistry.MessageDescriptor,
        style: Style
    ) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        let fields = UnsafeBufferPointer(start: descriptor.pointee.fields, count: Int(descriptor.pointee.n_fields))
        for field in fields {
            let member = message + Int(field.offset)
            if field.isRepeated {
                let count = message.load(fromByteOffset: Int(field.quantifier_offset), as: Int.self)
                guard count > 0, let array = member.load(as: UnsafeRawPointer?.self) else {
                    if style.includeDefaults {
                        let isMap = field.messageDescriptor.map(DescriptorRegistry.isMapEntry) ?? false
                        members.append((field.protoName, isMap ? .object([]) : .array([])))
                    }
                    continue
                }
                members.append((field.protoName, repeated(field, array, count: count, style: style)))
                continue
            }
            if field.isOneofMember {
                let selected = message.load(fromByteOffset: Int(field.quantifier_offset), as: UInt32.self)
                guard selected == field.id, let value = value(field, at: member, style: style) else { continue }
                members.append((field.protoName, value))
                continue
            }
            if field.label == PROTOBUF_C_LABEL_OPTIONAL, field.type != PROTOBUF_C_TYPE_MESSAGE, field.type != PROTOBUF_C_TYPE_STRING {
                let present = message.load(fromByteOffset: Int(field.quantifier_offset), as: Int32.self) != 0
                guard present, let value = value(field, at: member, style: style) else { continue }
                members.append((field.protoName, value))
                continue
            }
            guard let value = value(field, at: member, style: style) else {
                if style.includeDefaults, field.type == PROTOBUF_C_TYPE_MESSAGE { members.append((field.protoName, .null)) }
                continue
            }
            if !style.includeDefaults, field.label != PROTOBUF_C_LABEL_OPTIONAL, isDefault(value, field) { continue }
            members.append((field.protoName, value))
        }
        return .object(members)
    }

    private static func repeated(
        _ field: ProtobufCFieldDescriptor,
        _ array: UnsafeRawPointer,
        count: Int,
        style: Style
    ) -> JSONValue {
        let size = ProtoJSONEncoder.elementSize(of: field.type)
        if let entry = field.messageDescriptor, DescriptorRegistry.isMapEntry(entry) {
            let keyField = entry.pointee.fields[0]
            let valueField = entry.pointee.fields[1]
            var members: [(key: String, value: JSONValue)] = []
            for index in 0..<count {
                guard let entryMessage = array.load(fromByteOffset: index * size, as: UnsafeRawPointer?.self) else { continue }
                let key: String
                switch value(keyField, at: entryMessage + Int(keyField.offset), style: style) {
                case .string(let text)?, .number(let text)?: key = text
                case .bool(let flag)?: key = flag ? "true" : "false"
                default: key = ""
                }
                let entryValue = value(valueField, at: entryMessage + Int(valueField.offset), style: style)
                members.append((key, entryValue ?? .object([])))
            }
            return .object(members)
        }
        return .array((0..<count).map { index in
            value(field, at: array + index * size, style: style) ?? .object([])
        })
    }

    /// The value at `pointer` (a member or an array element); `nil` for an absent message.
    private static func value(_ field: ProtobufCFieldDescriptor, at pointer: UnsafeRawPointer, style: Style) -> JSONValue? {
        switch field.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32:
            return .number(String(pointer.load(as: Int32.self)))
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64:
            return .string(String(pointer.load(as: Int64.self)))
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
            return .number(String(pointer.load(as: UInt32.self)))
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
            return .string(String(pointer.load(as: UInt64.self)))
        case PROTOBUF_C_TYPE_FLOAT:
            let number = pointer.load(as: Float.self)
            return number.isFinite ? .number(number.description) : .string(nonFinite(Double(number)))
        case PROTOBUF_C_TYPE_DOUBLE:
            let number = pointer.load(as: Double.self)
            return number.isFinite ? .number(number.description) : .string(nonFinite(number))
        case PROTOBUF_C_TYPE_BOOL:
            return .bool(pointer.load(as: Int32.self) != 0)
        case PROTOBUF_C_TYPE_ENUM:
            let number = pointer.load(as: Int32.self)
            if let descriptor = field.enumDescriptor, let name = EnumNames.name(of: number, in: descriptor) {
                return .string(style.shortEnumNames ? EnumNames.shortName(name, in: descriptor) : name)
            }
            return .number(String(number))
        case PROTOBUF_C_TYPE_STRING:
            guard let text = pointer.load(as: UnsafePointer<CChar>?.self) else { return .string("") }
            return .string(String(cString: text))
        case PROTOBUF_C_TYPE_BYTES:
            let data = pointer.load(as: ProtobufCBinaryData.self)
            guard data.len > 0, let bytes = data.data else { return .string("") }
            return .string(Data(bytes: bytes, count: data.len).base64EncodedString())
        case PROTOBUF_C_TYPE_MESSAGE:
            guard let nested = field.messageDescriptor,
                  let child = pointer.load(as: UnsafeRawPointer?.self)
            else { return nil }
            return object(child, nested, style: style)
        default:
            return nil
        }
    }

    /// Whether a singular proto3 value is its type's default (and so left out).
    private static func isDefault(_ value: JSONValue, _ field: ProtobufCFieldDescriptor) -> Bool {
        switch value {
        case .number(let text): return Double(text) == 0
        case .string(let text):
            switch field.type {
            case PROTOBUF_C_TYPE_ENUM:
                guard let descriptor = field.enumDescriptor, let zero = EnumNames.name(of: 0, in: descriptor) else { return false }
                return zero == text || EnumNames.shortName(zero, in: descriptor) == text
            case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64,
                 PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
                return text == "0"
            default:
                return text.isEmpty
            }
        case .bool(let flag): return !flag
        default: return false
        }
    }

    private static func nonFinite(_ number: Double) -> String {
        number.isNaN ? "NaN" : (number > 0 ? "Infinity" : "-Infinity")
    }
}
