public import SFACodec
public import SFAMessages

extension FieldViolation {
    /// The violation of a field refused while decoding (a NUL or invalid UTF-8 in a
    /// string, a 32-bit varint out of range, a singular message repeated past the
    /// decoder's bound); `nil` for bytes that are not an encoding at all.
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
