/// Why bytes could not be decoded into a message.
public struct ProtoCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Kind: Hashable, Sendable {
        /// The input is larger than the limit given to the decoder.
        case tooLarge
        /// protobuf-c rejected the bytes: truncated, malformed or of the wrong shape.
        case malformed
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
        }
    }
}
