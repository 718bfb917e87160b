import CProtobufC
import CSFAProto
public import SFAMessages
import SFAProtoJSON

/// The API's services, messages and enums as `ReflectionService` describes them,
/// read from the protobuf-c descriptors compiled into this binary: what the server
/// answers over the wire, and what `sfactl --offline` shows without a server.
public enum DescriptorReflection {
    /// Every service with the methods `hosted` keeps (all when `nil`), in registry order.
    public static func services(hosted: Set<String>? = nil) -> [ServiceInfo] {
        (0..<Int(sfa_registry_service_count)).compactMap { index in
            let descriptor = sfa_registry_services[index].descriptor.pointee
            let serviceName = String(cString: descriptor.name)
            let methods = (0..<Int(descriptor.n_methods)).compactMap { methodIndex -> MethodInfo? in
                let method = descriptor.methods[methodIndex]
                let name = String(cString: method.name)
                let fullMethod = "/\(serviceName)/\(name)"
                guard hosted?.contains(fullMethod) ?? true else { return nil }
                return MethodInfo(
                    name: name,
                    fullMethod: fullMethod,
                    inputType: String(cString: method.input.pointee.name),
                    outputType: String(cString: method.output.pointee.name)
                )
            }
            return methods.isEmpty ? nil : ServiceInfo(name: serviceName, methods: methods)
        }
    }

    /// A message's fields, or `nil` when no message has that full name.
    public static func message(named name: String) -> DescribeMessageResponse? {
        guard !name.hasPrefix("."), let descriptor = DescriptorRegistry.message(named: name)?.pointee,
            String(cString: descriptor.name) == name
        else { return nil }
        let oneofs = SFAMessageRegistry.oneofNames[name] ?? [:]
        let fields = (0..<Int(descriptor.n_fields)).map { index in
            let field = descriptor.fields[index]
            var info = FieldInfo(
                name: field.protoName,
                number: field.id,
                kind: FieldKind(protobufC: field.type),
                label: field.isRepeated ? .repeated : .singular,
                oneofName: oneofs[field.protoName] ?? ""
            )
            if let nested = field.messageDescriptor {
                info.typeName = String(cString: nested.pointee.name)
                info.isMap = DescriptorRegistry.isMapEntry(nested)
            } else if let enumeration = field.enumDescriptor {
                info.typeName = String(cString: enumeration.pointee.name)
            }
            return info
        }
        return DescribeMessageResponse(name: name, fields: fields)
    }

    /// An enum's values, or `nil` when no enum has that full name.
    public static func enumeration(named name: String) -> DescribeEnumResponse? {
        guard !name.hasPrefix("."), let descriptor = DescriptorRegistry.enumeration(named: name)?.pointee,
            String(cString: descriptor.name) == name
        else { return nil }
        let values = (0..<Int(descriptor.n_values)).map { index in
            EnumValueInfo(name: String(cString: descriptor.values[index].name), number: descriptor.values[index].value)
        }
        return DescribeEnumResponse(name: name, values: values)
    }
}

extension FieldKind {
    /// The descriptor.proto type number for a protobuf-c field type.
    init(protobufC type: ProtobufCType) {
        switch type {
        case PROTOBUF_C_TYPE_INT32: self = .int32
        case PROTOBUF_C_TYPE_SINT32: self = .sint32
        case PROTOBUF_C_TYPE_SFIXED32: self = .sfixed32
        case PROTOBUF_C_TYPE_INT64: self = .int64
        case PROTOBUF_C_TYPE_SINT64: self = .sint64
        case PROTOBUF_C_TYPE_SFIXED64: self = .sfixed64
        case PROTOBUF_C_TYPE_UINT32: self = .uint32
        case PROTOBUF_C_TYPE_FIXED32: self = .fixed32
        case PROTOBUF_C_TYPE_UINT64: self = .uint64
        case PROTOBUF_C_TYPE_FIXED64: self = .fixed64
        case PROTOBUF_C_TYPE_FLOAT: self = .float
        case PROTOBUF_C_TYPE_DOUBLE: self = .double
        case PROTOBUF_C_TYPE_BOOL: self = .bool
        case PROTOBUF_C_TYPE_ENUM: self = .enumeration
        case PROTOBUF_C_TYPE_STRING: self = .string
        case PROTOBUF_C_TYPE_BYTES: self = .bytes
        case PROTOBUF_C_TYPE_MESSAGE: self = .message
        default: self = .unspecified
        }
    }
}
