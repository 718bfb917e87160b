public import SFACodec
public import SFAMessages

extension RPCError {
    /// The error of a request whose payload did not decode as `inputType`: a refused
    /// field is a bad argument like any other (`INVALID_FIELDS`, the field named), too
    /// many fields is `TOO_MANY_FIELDS`, and bytes that are no encoding at all are
    /// `MALFORMED_PAYLOAD`.
    public init(decodingPayload error: ProtoCodecError, inputType: String) {
        if let violation = FieldViolation(decoding: error) {
            self = .invalidArgument("the request field \(violation.field) \(violation.description)", violations: [violation])
        } else if case .tooManyFields(let limit) = error.kind {
            self.init(
                code: .invalidArgument,
                message: "the request payload holds more than \(limit) fields",
                details: ErrorDetails(reason: "TOO_MANY_FIELDS")
            )
        } else {
            self.init(
                code: .invalidArgument,
                message: "the request payload is not a valid \(inputType)",
                details: ErrorDetails(reason: "MALFORMED_PAYLOAD")
            )
        }
    }
}

extension FieldViolation {
    /// The violation of a field refused while decoding (a NUL or invalid UTF-8 in a
    /// string, a 32-bit varint out of range, a singular message repeated past the
    /// decoder's bound); `nil` for other decoding errors.
    public init?(decoding error: ProtoCodecError) {
        guard case .invalidField(let path, let problem) = error.kind else { return nil }
        let reason: ViolationReason =
            switch problem {
            case .nulCharacter, .invalidUTF8: .invalidFormat
            case .outOfRange: .outOfRange
            case .occursTooOften: .tooMany
            }
        self.init(path, reason, problem.description)
    }
}
