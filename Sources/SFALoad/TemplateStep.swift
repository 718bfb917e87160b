import SFACodec
import SFAMessages
import SFAProtoJSON
import SFARPC
import SFAStubs
import Synchronization

/// Steps that send one method's request made from a JSON body template, through the
/// generated message types found by name (as `sfactl call` does).
enum TemplateStep {
    /// The generated Swift type of every message, by full protobuf name.
    private static let messageTypes: [String: any ProtoMessage.Type] = Dictionary(
        SFAMessageRegistry.allMessageTypes.map { ($0.protoName, $0) },
        uniquingKeysWith: { first, _ in first }
    )

    /// - Parameters:
    ///   - name: the report name; nil for the method's name.
    ///   - method: `sfa.v1.LeadService/GetLead` or `LeadService/GetLead`.
    /// - Throws: `LoadError` for an unknown method or a template that is not valid for
    ///   its request type (checked once with a sample tenant, before any call).
    static func make(name: String?, weight: Int, method: String, body: String) throws -> Step {
        let descriptor = try lookup(method)
        guard DescriptorRegistry.message(named: descriptor.inputType) != nil,
            let requestType = messageTypes[descriptor.inputType], let responseType = messageTypes[descriptor.outputType]
        else { throw LoadError("no generated types for \(descriptor.fullName)") }
        let template = try BodyTemplate(body)
        @Sendable func encode(_ body: JSONValue) throws -> [UInt8] {
            do {
                // Looked up per call: a descriptor is a C pointer, which a Sendable closure may not hold.
                guard let input = DescriptorRegistry.message(named: descriptor.inputType) else { throw LoadError("no descriptor") }
                return try ProtoJSONEncoder.encode(body, as: input)
            } catch {
                throw LoadError("the body of \(descriptor.method) is not a valid \(descriptor.inputType): \(error)\n\(body.serialized(pretty: false))")
            }
        }
        // A body without generators is encoded once; any other is checked once now,
        // so that a typo fails the run before it starts rather than every call.
        let constant = template.isConstant ? try encode(try template.body([])) : nil
        if constant == nil {
            var random = RandomSource(seed: 1)
            _ = try encode(try template.render(sequence: 0, tenant: .sample, random: &random))
        }
        // Bodies that can only be a few (one per lead, say) are encoded once each:
        // encoding JSON per call would make the load tool, not the server, the limit.
        let encoded = template.isBounded ? EncodedBodies() : nil
        return Step(name: name ?? descriptor.method, weight: weight) { call, random in
            let payload: [UInt8]
            if let constant {
                payload = constant
            } else {
                let values = try template.values(sequence: call.sequence, tenant: call.tenant, random: &random)
                if let encoded {
                    payload = try encoded.body(for: values) { try encode(try template.body(values)) }
                } else {
                    payload = try encode(try template.body(values))
                }
            }
            if call.observed {
                try await sendDecoded(requestType, responseType, payload: payload, method: descriptor, call: call)
            } else {
                try await send(requestType, responseType, payload: payload, method: descriptor, call: call)
            }
        }
    }

    /// Encoded bodies by their generator values, up to `capacity` (then new ones are
    /// encoded each time).
    private final class EncodedBodies: Sendable {
        private let bodies = Mutex<[[String]: [UInt8]]>([:])
        private let capacity = 100_000

        func body(for values: [String], _ encode: () throws -> [UInt8]) rethrows -> [UInt8] {
            if let known = bodies.withLock({ $0[values] }) { return known }
            let payload = try encode()
            bodies.withLock { if $0.count < capacity { $0[values] = payload } }
            return payload
        }
    }

    /// Sends the payload as it is and takes the reply's bytes without decoding them:
    /// nobody looks at either, and decoding the body only to encode it again, and the
    /// reply only to drop it, was work the server's figures paid for on a shared
    /// machine. The payload came from the request type's own descriptor.
    private static func send<Request: ProtoMessage, Response: ProtoMessage>(
        _: Request.Type,
        _: Response.Type,
        payload: [UInt8],
        method: MethodDescriptor,
        call: StepCall
    ) async throws {
        _ = try await call.caller.unary(
            method, request: EncodedMessage<Request>(bytes: payload), responseType: EncodedMessage<Response>.self, options: call.options
        )
    }

    /// Decodes the payload into its generated type and makes the call, for a run whose
    /// observer is shown the request and the reply as the messages they are. Called with
    /// the method's types as `any ProtoMessage.Type`, which Swift opens into the generics.
    private static func sendDecoded<Request: ProtoMessage, Response: ProtoMessage>(
        _: Request.Type,
        _: Response.Type,
        payload: [UInt8],
        method: MethodDescriptor,
        call: StepCall
    ) async throws {
        let request = try Request(serializedBytes: payload)
        _ = try await call.caller.unary(method, request: request, responseType: Response.self, options: call.options)
    }

    /// A method by its full name, with or without the package and the leading slash.
    static func lookup(_ name: String) throws -> MethodDescriptor {
        let trimmed = name.hasPrefix("/") ? String(name.dropFirst()) : name
        let found = SFAServiceRegistry.allMethods.first { method in
            trimmed == "\(method.service)/\(method.method)"
                || trimmed == "\(method.service.split(separator: ".").last ?? "")/\(method.method)"
        }
        guard let found else { throw LoadError("unknown method \(name): write Service/Method, e.g. LeadService/GetLead") }
        return found
    }
}

extension TenantFixture {
    /// A tenant with one of every record, to check templates before a run.
    static let sample = TenantFixture(
        tenantId: "ten_sample", apiKey: "", userId: "usr_sample", leads: ["led_sample"], accounts: ["acc_sample"],
        opportunities: ["opp_sample"], pipelineId: "pip_sample", stages: ["stg_sample"]
    )
}
