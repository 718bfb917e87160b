public import CProtobufC

/// A message of type `M` held as its protobuf encoding, and sent as it is: a stored
/// record that a read returns unchanged goes out without being decoded into a Swift
/// value and encoded again.
///
/// The bytes must be a valid encoding of `M`: they come from `M`'s own encoder (a
/// stored record) or from ``ProtoFieldWriter``. Everything else a message can do
/// works too, by decoding: `fill` (when nested in another message), `merge`, ``decoded()``.
public struct EncodedMessage<M: ProtoMessage>: ProtoMessage {
    public typealias CMessage = M.CMessage
    public static var protoName: String { M.protoName }
    public static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { M.cDescriptor }
    public static var fieldNames: Set<String> { M.fieldNames }

    /// The encoding of the message.
    public let bytes: [UInt8]

    /// The empty message.
    public init() {
        bytes = []
    }

    /// A message from its encoding, which must be a valid encoding of `M`.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ message: M) {
        bytes = message.serializedBytes()
    }

    public init(cMessage: UnsafePointer<M.CMessage>) {
        self.init(M(cMessage: cMessage))
    }

    /// The message as a Swift value.
    public func decoded() throws(ProtoCodecError) -> M {
        try M(serializedBytes: bytes, maximumSize: .max)
    }

    /// Copies the bytes: no C struct, no protobuf-c.
    public func encode<Result>(_ writer: (_ size: Int, _ pack: (UnsafeMutableRawPointer) -> Int) throws -> Result) rethrows -> Result {
        try writer(bytes.count) { out in
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress { out.copyMemory(from: base, byteCount: source.count) }
            }
            return bytes.count
        }
    }

    /// Fills the C struct of the decoded message (when nested in another message);
    /// bytes that are not a valid encoding of `M`, against this type's contract,
    /// fill an empty message.
    public func fill(_ cMessage: UnsafeMutablePointer<M.CMessage>, arena: inout ProtoArena) {
        ((try? decoded()) ?? M()).fill(cMessage, arena: &arena)
    }

    public mutating func merge(from other: Self, fields: some Sequence<String>) throws(FieldMaskError) {
        var message = (try? decoded()) ?? M()
        try message.merge(from: (try? other.decoded()) ?? M(), fields: fields)
        self = Self(message)
    }
}

/// Writes protobuf fields by hand, for ``EncodedMessage``s assembled from stored
/// encodings (a list response from stored records) without decoding them.
public struct ProtoFieldWriter<M: ProtoMessage> {
    private var bytes: [UInt8] = []

    public init() {}

    /// The message written so far.
    public var message: EncodedMessage<M> { EncodedMessage(bytes: bytes) }

    /// Appends the length-delimited field `name` of `M` (a sub-message, string or
    /// bytes; one element of a repeated one) holding `value`, already encoded.
    /// - Throws: `FieldMaskError.unknownField` when `M` has no field `name` or it is
    ///   not length-delimited.
    public mutating func append(_ name: String, encoded value: [UInt8]) throws(FieldMaskError) {
        try append(name, encodedElements: [value])
    }

    /// Appends each of `values`, already encoded, as one element of the repeated
    /// length-delimited field `name` of `M`.
    /// - Throws: `FieldMaskError.unknownField` when `M` has no field `name` or it is
    ///   not length-delimited.
    public mutating func append(_ name: String, encodedElements values: [[UInt8]]) throws(FieldMaskError) {
        let tag = try Self.lengthDelimitedTag(name)
        bytes.reserveCapacity(bytes.count + values.reduce(0) { $0 + $1.count + 12 })
        for value in values {
            appendVarint(tag)
            appendVarint(UInt64(value.count))
            bytes.append(contentsOf: value)
        }
    }

    /// The tag (number and wire type 2) of the length-delimited field `name` of `M`.
    private static func lengthDelimitedTag(_ name: String) throws(FieldMaskError) -> UInt64 {
        guard let field = protobuf_c_message_descriptor_get_field_by_name(M.cDescriptor, name),
            [PROTOBUF_C_TYPE_MESSAGE, PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES].contains(field.pointee.type)
        else {
            throw FieldMaskError.unknownField(name, message: M.protoName)
        }
        return UInt64(field.pointee.id) << 3 | 2
    }

    /// Appends the string field `name` of `M`, unless `value` is empty (proto3's default).
    public mutating func append(_ name: String, string value: String) throws(FieldMaskError) {
        guard !value.isEmpty else { return }
        try append(name, encoded: Array(value.utf8))
    }

    /// Appends the integer field `name` of `M` (int32, int64, uint32, uint64, enum or
    /// bool), unless `value` is 0 (proto3's default). Appended after a stored encoding,
    /// it overrides the value there: the last occurrence of a scalar field wins.
    /// - Throws: `FieldMaskError.unknownField` when `M` has no such integer field.
    public mutating func append(_ name: String, integer value: Int64) throws(FieldMaskError) {
        guard let field = protobuf_c_message_descriptor_get_field_by_name(M.cDescriptor, name),
            [PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_ENUM, PROTOBUF_C_TYPE_BOOL]
                .contains(field.pointee.type),
            field.pointee.label != PROTOBUF_C_LABEL_REPEATED
        else {
            throw FieldMaskError.unknownField(name, message: M.protoName)
        }
        guard value != 0 else { return }
        appendVarint(UInt64(field.pointee.id) << 3)
        // Negative int32/int64/enum values are ten-byte two's complement varints.
        appendVarint(UInt64(bitPattern: value))
    }

    private mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}
