/// Names one RPC method: its service, its name, and whether it is safe to retry.
public struct MethodDescriptor: Hashable, Sendable, CustomStringConvertible {
    /// The full service name, e.g. `sfa.v1.LeadService`.
    public let service: String
    /// The method name, e.g. `GetLead`.
    public let method: String
    /// The full protobuf name of the request message.
    public let inputType: String
    /// The full protobuf name of the response message.
    public let outputType: String
    /// True when the proto marks the method `idempotency_level = IDEMPOTENT` or
    /// `NO_SIDE_EFFECTS`: the client may retry it after `UNAVAILABLE`.
    public let isIdempotent: Bool

    public init(service: String, method: String, inputType: String, outputType: String, isIdempotent: Bool) {
        self.service = service
        self.method = method
        self.inputType = inputType
        self.outputType = outputType
        self.isIdempotent = isIdempotent
    }

    /// The name carried in `RequestHeader.method`: `/sfa.v1.LeadService/GetLead`.
    public var fullName: String { "/\(service)/\(method)" }

    public var description: String { fullName }
}
