import CProtobufC
import CSFAProto

/// The API as protobuf-c describes it, read from the descriptors protoc-c compiled
/// into `CSFAProto` (through the registry `scripts/generate` writes).
struct DescriptorModel {
    /// Full protobuf name (`sfa.v1.Lead`) → message.
    var messages: [String: MessageInfo] = [:]
    /// Full protobuf name → enum.
    var enums: [String: EnumInfo] = [:]
    /// Full protobuf name → service.
    var services: [String: ServiceInfo] = [:]

    struct MessageInfo {
        var fullName: String
        var shortName: String
        var cName: String
        /// The C symbol prefix, e.g. `sfa__v1__lead` (`…__init`, `…__descriptor`).
        var symbol: String
        var fields: [FieldInfo]
        /// True for the entry messages protoc-c makes for `map<K, V>` fields.
        var isMapEntry: Bool
    }

    struct FieldInfo {
        var name: String
        var number: UInt32
        var isRepeated: Bool
        var type: ProtobufCType
        /// Full name of the message or enum type, for those field types.
        var typeName: String?
        var isOneofMember: Bool
    }

    struct EnumInfo {
        var fullName: String
        var shortName: String
        var cName: String
        var values: [(name: String, number: Int32)]
    }

    struct ServiceInfo {
        var fullName: String
        var shortName: String
        var symbol: String
        var methods: [(name: String, input: String, output: String)]
    }

    static func load() -> DescriptorModel {
        var model = DescriptorModel()
        for index in 0..<Int(sfa_registry_message_count) {
            let entry = sfa_registry_messages[index]
            let info = message(entry.descriptor.pointee, symbol: string(entry.symbol))
            model.messages[info.fullName] = info
        }
        for index in 0..<Int(sfa_registry_enum_count) {
            let descriptor = sfa_registry_enums[index].descriptor.pointee
            let values = (0..<Int(descriptor.n_values)).map { valueIndex in
                let value = descriptor.values[valueIndex]
                return (name: string(value.name), number: value.value)
            }
            let info = EnumInfo(
                fullName: string(descriptor.name),
                shortName: string(descriptor.short_name),
                cName: string(descriptor.c_name),
                values: values
            )
            model.enums[info.fullName] = info
        }
        for index in 0..<Int(sfa_registry_service_count) {
            let entry = sfa_registry_services[index]
            let descriptor = entry.descriptor.pointee
            let methods = (0..<Int(descriptor.n_methods)).map { methodIndex in
                let method = descriptor.methods[methodIndex]
                return (
                    name: string(method.name),
                    input: string(method.input.pointee.name),
                    output: string(method.output.pointee.name)
                )
            }
            let info = ServiceInfo(
                fullName: string(descriptor.name),
                shortName: string(descriptor.short_name),
                symbol: string(entry.symbol),
                methods: methods
            )
            model.services[info.fullName] = info
        }
        return model
    }

    private static func message(_ descriptor: ProtobufCMessageDescriptor, symbol: String) -> MessageInfo {
        let fullName = string(descriptor.name)
        let package = string(descriptor.package_name)
        let fields = (0..<Int(descriptor.n_fields)).map { index in
            let field = descriptor.fields[index]
            var typeName: String?
            if field.type == PROTOBUF_C_TYPE_MESSAGE {
                typeName = string(field.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self).pointee.name)
            } else if field.type == PROTOBUF_C_TYPE_ENUM {
                typeName = string(field.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self).pointee.name)
            }
            return FieldInfo(
                name: string(field.name),
                number: field.id,
                isRepeated: field.label == PROTOBUF_C_LABEL_REPEATED,
                type: field.type,
                typeName: typeName,
                isOneofMember: field.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0
            )
        }
        // Nested messages are forbidden in proto/ except the map entries protoc-c makes.
        let relativeName = fullName.dropFirst(package.isEmpty ? 0 : package.count + 1)
        return MessageInfo(
            fullName: fullName,
            shortName: string(descriptor.short_name),
            cName: string(descriptor.c_name),
            symbol: symbol,
            fields: fields,
            isMapEntry: relativeName.contains(".")
        )
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }
}
