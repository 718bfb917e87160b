import CProtobufC
import CSFAProto
import SFAStubs

/// `sfa.v1.ReflectionService`: the services and methods this server hosts and the
/// shape of every message and enum, read from the protobuf-c descriptors compiled
/// into the server, so that generic clients (`sfactl call`) can build requests.
struct ReflectionService: ReflectionServiceHandler {
    let hostedMethods: Set<String>
    /// The server's gate, which alone knows what a key may call; nil admits every call.
    let gate: (any CallGate)?

    init(hostedMethods: [MethodDescriptor], gate: (any CallGate)?) {
        self.hostedMethods = Set(hostedMethods.map(\.fullName))
        self.gate = gate
    }

    /// What the calling key may call, as the gate decides it for every method: the
    /// same decision that admits or refuses the call itself.
    func listAllowedMethods(_ request: ListAllowedMethodsRequest, context: ServerContext) async throws -> ListAllowedMethodsResponse {
        let grants = try await gate?.allowedMethods(authorization: context.authorization)
            ?? hostedMethods.sorted().map { MethodGrant(method: $0, scope: .all) }
        return ListAllowedMethodsResponse(methods: grants.map { grant in
            AllowedMethod(fullMethod: grant.method, scope: AccessScope(grant.scope), hosted: hostedMethods.contains(grant.method))
        })
    }

    func listServices(_ request: ListServicesRequest, context: ServerContext) async throws -> ListServicesResponse {
        var services: [ServiceInfo] = []
        for index in 0..<Int(sfa_registry_service_count) {
            let descriptor = sfa_registry_services[index].descriptor.pointee
            let serviceName = String(cString: descriptor.name)
            let methods = (0..<Int(descriptor.n_methods)).compactMap { methodIndex -> MethodInfo? in
                let method = descriptor.methods[methodIndex]
                let name = String(cString: method.name)
                let fullMethod = "/\(serviceName)/\(name)"
                guard hostedMethods.contains(fullMethod) else { return nil }
                return MethodInfo(
                    name: name,
                    fullMethod: fullMethod,
                    inputType: String(cString: method.input.pointee.name),
                    outputType: String(cString: method.output.pointee.name)
                )
            }
            if !methods.isEmpty { services.append(ServiceInfo(name: serviceName, methods: methods)) }
        }
        return ListServicesResponse(services: services)
    }

    func describeMessage(_ request: DescribeMessageRequest, context: ServerContext) async throws -> DescribeMessageResponse {
        guard let descriptor = DescriptorIndex.message(named: request.messageType)?.pointee else {
            throw RPCError.invalidArgument(
                "unknown message type",
                violations: [FieldViolation("message_type", .notFound, "no message named \(request.messageType)")]
            )
        }
        let name = String(cString: descriptor.name)
        let oneofs = SFAMessageRegistry.oneofNames[name] ?? [:]
        let fields = (0..<Int(descriptor.n_fields)).map { index in
            let field = descriptor.fields[index]
            let fieldName = String(cString: field.name)
            var info = FieldInfo(
                name: fieldName,
                number: field.id,
                kind: FieldKind(protobufC: field.type),
                label: field.label == PROTOBUF_C_LABEL_REPEATED ? .repeated : .singular,
                oneofName: oneofs[fieldName] ?? ""
            )
            if field.type == PROTOBUF_C_TYPE_MESSAGE {
                let typeName = String(cString: field.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self).pointee.name)
                info.typeName = typeName
                info.isMap = DescriptorIndex.mapEntries.contains(typeName)
            } else if field.type == PROTOBUF_C_TYPE_ENUM {
                info.typeName = String(cString: field.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self).pointee.name)
            }
            return info
        }
        return DescribeMessageResponse(name: name, fields: fields)
    }

    func describeEnum(_ request: DescribeEnumRequest, context: ServerContext) async throws -> DescribeEnumResponse {
        guard let descriptor = DescriptorIndex.enumeration(named: request.enumType)?.pointee else {
            throw RPCError.invalidArgument(
                "unknown enum type",
                violations: [FieldViolation("enum_type", .notFound, "no enum named \(request.enumType)")]
            )
        }
        let values = (0..<Int(descriptor.n_values)).map { index in
            EnumValueInfo(name: String(cString: descriptor.values[index].name), number: descriptor.values[index].value)
        }
        return DescribeEnumResponse(name: String(cString: descriptor.name), values: values)
    }
}

/// The descriptor registry indexed by full protobuf name (positions in the registry
/// arrays, which are immutable C data).
private enum DescriptorIndex {
    private static let messagePositions: [String: Int] = Dictionary(
        uniqueKeysWithValues: (0..<Int(sfa_registry_message_count)).map {
            (String(cString: sfa_registry_messages[$0].descriptor.pointee.name), $0)
        }
    )

    private static let enumPositions: [String: Int] = Dictionary(
        uniqueKeysWithValues: (0..<Int(sfa_registry_enum_count)).map {
            (String(cString: sfa_registry_enums[$0].descriptor.pointee.name), $0)
        }
    )

    static func message(named name: String) -> UnsafePointer<ProtobufCMessageDescriptor>? {
        messagePositions[name].map { sfa_registry_messages[$0].descriptor }
    }

    static func enumeration(named name: String) -> UnsafePointer<ProtobufCEnumDescriptor>? {
        enumPositions[name].map { sfa_registry_enums[$0].descriptor }
    }

    /// The entry messages protoc-c makes for map fields (nested in their message).
    static let mapEntries: Set<String> = Set(
        messagePositions.keys.filter { name in
            name.split(separator: ".").count > 3  // sfa.v1.Message.FieldEntry
        }
    )
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

extension AccessScope {
    /// The wire form of a scope.
    init(_ scope: RecordScope) {
        switch scope {
        case .own: self = .own
        case .team: self = .team
        case .all: self = .all
        }
    }
}
