public import CProtobufC
import Foundation

/// JSON → protobuf bytes for any message, driven by its protobuf-c descriptor.
///
/// The JSON is written into the message's C struct, as protobuf-c's own generic
/// code lays it out (each field at `offset`, repeated counts and oneof cases at
/// `quantifier_offset`), and the struct is packed with `protobuf_c_message_pack`.
///
/// Accepted: field names as in the .proto or in lowerCamelCase; enums by value name
/// (case-insensitive, with or without the enum's prefix) or number; 64-bit integers as
/// numbers or strings; bytes as base64; maps as objects; repeated fields as arrays;
/// `null` for a field's default. An unknown field is an error naming it.
public enum ProtoJSONEncoder {
    public static func encode(_ json: JSONValue, as descriptor: DescriptorRegistry.MessageDescriptor) throws(ProtoJSONError) -> [UInt8] {
        let memory = CMemory()
        let message = try build(json, as: descriptor, path: "", memory: memory)
        let cMessage = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(cMessage)
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = size == 0 ? 0 : protobuf_c_message_pack(cMessage, buffer.baseAddress!)
        }
        withExtendedLifetime(memory) {}
        return bytes
    }

    /// A C struct of `descriptor`'s type, initialised with `message_init` and filled from `json`.
    private static func build(
        _ json: JSONValue,
        as descriptor: DescriptorRegistry.MessageDescriptor,
        path: String,
        memory: CMemory
    ) throws(ProtoJSONError) -> UnsafeMutableRawPointer {
        guard case .object(let members) = json else {
            throw ProtoJSONError("\(label(path)): expected an object for \(String(cString: descriptor.pointee.name)), got \(json.kindName)")
        }
        let message = memory.allocate(byteCount: descriptor.pointee.sizeof_message)
        protobuf_c_message_init(descriptor, message)

        let fields = UnsafeBufferPointer(start: descriptor.pointee.fields, count: Int(descriptor.pointee.n_fields))
        var setOneofs: [UInt32: String] = [:]  // case offset -> the member set
        for member in members {
            // A name as in the .proto by protobuf-c's index (a binary search); only a
            // lowerCamelCase one is looked for field by field. A C string would end at
            // a NUL (`\u0000` in JSON), so a key with one is compared whole, and found by neither.
            guard
                let field = cLookup(member.key, { protobuf_c_message_descriptor_get_field_by_name(descriptor, $0)?.pointee })
                    ?? fields.first(where: { FieldNames.lowerCamelCase($0.protoName) == member.key })
            else {
                let known = fields.map(\.protoName).joined(separator: ", ")
                let typeName = String(cString: descriptor.pointee.name)
                throw ProtoJSONError("unknown field \"\(join(path, member.key))\" in \(typeName) (fields: \(known.isEmpty ? "none" : known))")
            }
            let fieldPath = join(path, field.protoName)
            if case .null = member.value { continue }
            if field.isRepeated {
                try setRepeated(field, member.value, in: message, path: fieldPath, memory: memory)
                continue
            }
            try setValue(field, member.value, at: message + Int(field.offset), path: fieldPath, memory: memory)
            if field.isOneofMember {
                if let other = setOneofs[field.quantifier_offset], other != field.protoName {
                    throw ProtoJSONError("\(fieldPath): only one of \(other) and \(field.protoName) may be set (a oneof)")
                }
                setOneofs[field.quantifier_offset] = field.protoName
                message.storeBytes(of: field.id, toByteOffset: Int(field.quantifier_offset), as: UInt32.self)
            } else if field.label == PROTOBUF_C_LABEL_OPTIONAL, field.type != PROTOBUF_C_TYPE_MESSAGE, field.type != PROTOBUF_C_TYPE_STRING {
                // proto2-style presence: the has_ flag.
                message.storeBytes(of: 1, toByteOffset: Int(field.quantifier_offset), as: Int32.self)
            }
        }
        return message
    }

    private static func setRepeated(
        _ field: ProtobufCFieldDescriptor,
        _ value: JSONValue,
        in message: UnsafeMutableRawPointer,
        path: String,
        memory: CMemory
    ) throws(ProtoJSONError) {
        let elementSize = elementSize(of: field.type)
        var count = 0
        var array: UnsafeMutableRawPointer?
        if let entry = field.messageDescriptor, DescriptorRegistry.isMapEntry(entry) {
            guard case .object(let members) = value else {
                throw ProtoJSONError("\(path): expected an object (a map), got \(value.kindName)")
            }
            count = members.count
            let elements = memory.allocate(byteCount: count * elementSize)
            let keyField = entry.pointee.fields[0]
            let valueField = entry.pointee.fields[1]
            for (index, member) in members.enumerated() {
                let entryPath = "\(path)[\(quoted(member.key))]"
                let entryMessage = memory.allocate(byteCount: entry.pointee.sizeof_message)
                protobuf_c_message_init(entry, entryMessage)
                try setValue(keyField, mapKey(member.key, type: keyField.type, path: entryPath), at: entryMessage + Int(keyField.offset), path: entryPath, memory: memory)
                if case .null = member.value {} else {
                    try setValue(valueField, member.value, at: entryMessage + Int(valueField.offset), path: entryPath, memory: memory)
                }
                elements.storeBytes(of: entryMessage, toByteOffset: index * elementSize, as: UnsafeMutableRawPointer.self)
            }
            array = elements
        } else {
            guard case .array(let items) = value else {
                throw ProtoJSONError("\(path): expected an array, got \(value.kindName)")
            }
            count = items.count
            let elements = memory.allocate(byteCount: count * elementSize)
            for (index, item) in items.enumerated() {
                if case .null = item { throw ProtoJSONError("\(path)[\(index)]: null is not allowed in a repeated field") }
                try setValue(field, item, at: elements + index * elementSize, path: "\(path)[\(index)]", memory: memory)
            }
            array = elements
        }
        guard count > 0 else { return }
        message.storeBytes(of: count, toByteOffset: Int(field.quantifier_offset), as: Int.self)  // size_t n_<field>
        message.storeBytes(of: array, toByteOffset: Int(field.offset), as: UnsafeMutableRawPointer?.self)
    }

    /// A map key (always a string in JSON) as the JSON value its key type reads.
    private static func mapKey(_ key: String, type: ProtobufCType, path: String) throws(ProtoJSONError) -> JSONValue {
        switch type {
        case PROTOBUF_C_TYPE_STRING: return .string(key)
        case PROTOBUF_C_TYPE_BOOL:
            guard key == "true" || key == "false" else { throw ProtoJSONError("\(path): a bool map key is true or false") }
            return .bool(key == "true")
        default: return .string(key)  // integer keys: parsed from the string below
        }
    }

    /// The size of one element of a repeated field's C array.
    static func elementSize(of type: ProtobufCType) -> Int {
        switch type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32,
             PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_FLOAT,
             PROTOBUF_C_TYPE_ENUM, PROTOBUF_C_TYPE_BOOL:
            4
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64,
             PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE:
            8
        case PROTOBUF_C_TYPE_BYTES:
            MemoryLayout<ProtobufCBinaryData>.size
        default:  // string, message: a pointer
            MemoryLayout<UnsafeRawPointer>.size
        }
    }

    /// Writes one value of `field`'s type at `pointer` (a struct member or an array element).
    private static func setValue(
        _ field: ProtobufCFieldDescriptor,
        _ value: JSONValue,
        at pointer: UnsafeMutableRawPointer,
        path: String,
        memory: CMemory
    ) throws(ProtoJSONError) {
        switch field.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32:
            pointer.storeBytes(of: try integer(value, Int32.self, path: path), as: Int32.self)
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64:
            pointer.storeBytes(of: try integer(value, Int64.self, path: path), as: Int64.self)
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
            pointer.storeBytes(of: try integer(value, UInt32.self, path: path), as: UInt32.self)
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
            pointer.storeBytes(of: try integer(value, UInt64.self, path: path), as: UInt64.self)
        case PROTOBUF_C_TYPE_FLOAT:
            pointer.storeBytes(of: Float(try floatingPoint(value, path: path)), as: Float.self)
        case PROTOBUF_C_TYPE_DOUBLE:
            pointer.storeBytes(of: try floatingPoint(value, path: path), as: Double.self)
        case PROTOBUF_C_TYPE_BOOL:
            guard case .bool(let flag) = value else { throw ProtoJSONError("\(path): expected true or false, got \(value.kindName)") }
            pointer.storeBytes(of: flag ? 1 : 0, as: Int32.self)  // protobuf_c_boolean
        case PROTOBUF_C_TYPE_ENUM:
            pointer.storeBytes(of: try enumNumber(value, field.enumDescriptor, path: path), as: Int32.self)
        case PROTOBUF_C_TYPE_STRING:
            guard case .string(let text) = value else { throw ProtoJSONError("\(path): expected a string, got \(value.kindName)") }
            pointer.storeBytes(of: memory.cString(text), as: UnsafeMutablePointer<CChar>.self)
        case PROTOBUF_C_TYPE_BYTES:
            guard case .string(let text) = value, let data = base64Decode(text) else {
                throw ProtoJSONError("\(path): expected base64 text for bytes")
            }
            pointer.storeBytes(of: ProtobufCBinaryData(len: data.count, data: memory.bytes(data)), as: ProtobufCBinaryData.self)
        case PROTOBUF_C_TYPE_MESSAGE:
            guard let nested = field.messageDescriptor else { throw ProtoJSONError("\(path): the field has no message descriptor") }
            let child = try build(value, as: nested, path: path, memory: memory)
            pointer.storeBytes(of: child, as: UnsafeMutableRawPointer.self)
        default:
            throw ProtoJSONError("\(path): unsupported field type")
        }
    }

    // MARK: Scalars

    private static func integer<T: FixedWidthInteger>(_ value: JSONValue, _: T.Type, path: String) throws(ProtoJSONError) -> T {
        let text: String
        switch value {
        case .number(let number): text = number
        case .string(let string): text = string.trimmingCharacters(in: .whitespaces)
        default: throw ProtoJSONError("\(path): expected an integer, got \(value.kindName)")
        }
        if let exact = T(text) { return exact }
        // 1e3, 5.0: allowed when integral and in range.
        if let double = Double(text), double.isFinite, double.rounded() == double,
           let converted = T(exactly: double) {
            return converted
        }
        throw ProtoJSONError("\(path): \(text) is not \(T.isSigned ? "an" : "a non-negative") integer that fits in \(T.bitWidth) bits")
    }

    private static func floatingPoint(_ value: JSONValue, path: String) throws(ProtoJSONError) -> Double {
        switch value {
        case .number(let text):
            if let double = Double(text) { return double }
        case .string(let text):
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: if let double = Double(text), double.isFinite { return double }
            }
        default: break
        }
        throw ProtoJSONError("\(path): expected a number, got \(value.kindName)")
    }

    private static func enumNumber(
        _ value: JSONValue,
        _ descriptor: UnsafePointer<ProtobufCEnumDescriptor>?,
        path: String
    ) throws(ProtoJSONError) -> Int32 {
        guard let descriptor else { throw ProtoJSONError("\(path): the enum has no descriptor") }
        switch value {
        case .number(let text):
            guard let number = Int32(text) else { throw ProtoJSONError("\(path): \(text) is not an enum number") }
            return number
        case .string(let text):
            if let number = Int32(text) { return number }
            // By protobuf-c's index of the names (a binary search); the prefix is worked
            // out only for a short name (`website` for `LEAD_SOURCE_WEBSITE`).
            let wanted = text.uppercased()
            if let found = cLookup(wanted, { protobuf_c_enum_descriptor_get_value_by_name(descriptor, $0) })
                ?? cLookup(EnumNames.prefix(of: descriptor) + wanted, { protobuf_c_enum_descriptor_get_value_by_name(descriptor, $0) })
            {
                return found.pointee.value
            }
            let values = UnsafeBufferPointer(start: descriptor.pointee.values, count: Int(descriptor.pointee.n_values))
            let names = values.map { String(cString: $0.name) }.joined(separator: ", ")
            throw ProtoJSONError("\(path): \(quoted(text)) is not a value of \(String(cString: descriptor.pointee.name)) (values: \(names))")
        default:
            throw ProtoJSONError("\(path): expected an enum name or number for \(String(cString: descriptor.pointee.name)), got \(value.kindName)")
        }
    }

    /// `lookup` by `name` as a C string; nil for a name with a NUL in it, which the C
    /// string would cut short (`last_name\u0000x` is not `last_name`).
    private static func cLookup<T>(_ name: String, _ lookup: (UnsafePointer<CChar>) -> T?) -> T? {
        name.utf8.contains(0) ? nil : name.withCString(lookup)
    }

    /// Standard or URL-safe base64, padded or not.
    private static func base64Decode(_ text: String) -> [UInt8]? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        normalized = normalized.filter { !$0.isWhitespace }
        while normalized.count % 4 != 0 { normalized += "=" }
        return Data(base64Encoded: normalized).map { [UInt8]($0) }
    }

    // MARK: Paths

    private static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : path + "." + name
    }

    private static func label(_ path: String) -> String {
        path.isEmpty ? "the request" : path
    }

    private static func quoted(_ text: String) -> String {
        JSONValue.string(text).serialized(pretty: false)
    }
}

/// Enum value names.
public enum EnumNames {
    /// The prefix every value of an enum shares by convention: `TENANT_STATUS_` for
    /// `TenantStatus`; empty when the values do not all have it.
    public static func prefix(of descriptor: UnsafePointer<ProtobufCEnumDescriptor>) -> String {
        let shortName = String(cString: descriptor.pointee.short_name)
        var prefix = ""
        for (index, character) in shortName.enumerated() {
            if character.isUppercase, index > 0 { prefix += "_" }
            prefix += character.uppercased()
        }
        prefix += "_"
        let values = UnsafeBufferPointer(start: descriptor.pointee.values, count: Int(descriptor.pointee.n_values))
        return values.allSatisfy({ String(cString: $0.name).hasPrefix(prefix) }) ? prefix : ""
    }

    /// `TENANT_STATUS_ACTIVE` → `active`: the value name without the enum's prefix, lowercased.
    public static func shortName(_ name: String, in descriptor: UnsafePointer<ProtobufCEnumDescriptor>) -> String {
        let prefix = prefix(of: descriptor)
        return String(name.dropFirst(name.hasPrefix(prefix) ? prefix.count : 0)).lowercased()
    }

    /// The name of a value of the enum, or `nil` for a number it does not define.
    public static func name(of number: Int32, in descriptor: UnsafePointer<ProtobufCEnumDescriptor>) -> String? {
        protobuf_c_enum_descriptor_get_value(descriptor, number).map { String(cString: $0.pointee.name) }
    }
}
