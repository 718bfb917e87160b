/// Why bytes could not be decoded into a message.
public struct ProtoCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Kind: Hashable, Sendable {
        /// The input is larger than the limit given to the decoder.
        case tooLarge
        /// protobuf-c rejected the bytes: truncated, malformed or of the wrong shape.
        case malformed
        /// The bytes are an encoding, but the field at `path` (proto names from the
        /// message decoded, with the index of a repeated element: `lines[2].name`)
        /// is refused.
        case invalidField(path: String, problem: FieldProblem)
        /// The message holds more than `limit` fields (each occurrence of a field,
        /// nested ones included, counts once).
        case tooManyFields(limit: Int)
    }

    /// Why a field of a well-formed encoding is refused.
    public enum FieldProblem: Hashable, Sendable {
        /// A string holds a NUL character, which protobuf-c's C strings would cut.
        case nulCharacter
        /// A string is not valid UTF-8.
        case invalidUTF8
        /// A varint does not fit the field's 32-bit type.
        case outOfRange
        /// A singular message field occurs more than `limit` times in one message.
        case occursTooOften(limit: Int)

        /// For people.
        public var description: String {
            switch self {
            case .nulCharacter: "contains a NUL character"
            case .invalidUTF8: "is not valid UTF-8"
            case .outOfRange: "does not fit in 32 bits"
            case .occursTooOften(let limit): "occurs more than \(limit) times"
            }
        }
    }

    /// What went wrong.
    public let kind: Kind
    /// The protobuf name of the message being decoded.
    public let messageName: String
    /// The size of the input in bytes.
    public let byteCount: Int

    public init(kind: Kind, messageName: String, byteCount: Int) {
        self.kind = kind
        self.messageName = messageName
        self.byteCount = byteCount
    }

    public var description: String {
        switch kind {
        case .tooLarge:
            "\(messageName): \(byteCount) bytes exceed the decoding limit"
        case .malformed:
            "\(messageName): \(byteCount) bytes are not a valid encoding"
        case .tooManyFields(let limit):
            "\(messageName): more than \(limit) fields"
        case .invalidField(let path, let problem):
            "\(messageName): field \(path) \(problem.description)"
        }
    }
}
