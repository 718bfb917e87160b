import SFAReflection
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
        ListServicesResponse(services: DescriptorReflection.services(hosted: hostedMethods))
    }

    func describeMessage(_ request: DescribeMessageRequest, context: ServerContext) async throws -> DescribeMessageResponse {
        guard let described = DescriptorReflection.message(named: request.messageType) else {
            throw RPCError.invalidArgument(
                "unknown message type",
                violations: [FieldViolation("message_type", .notFound, "no message named \(request.messageType)")]
            )
        }
        return described
    }

    func describeEnum(_ request: DescribeEnumRequest, context: ServerContext) async throws -> DescribeEnumResponse {
        guard let described = DescriptorReflection.enumeration(named: request.enumType) else {
            throw RPCError.invalidArgument(
                "unknown enum type",
                violations: [FieldViolation("enum_type", .notFound, "no enum named \(request.enumType)")]
            )
        }
        return described
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
