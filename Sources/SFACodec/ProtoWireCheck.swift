public import CProtobufC

/// Walks an encoding against its message's descriptor before protobuf-c unpacks it,
/// and refuses what protobuf-c would let through changed or would pay too much for:
///
/// - a string with a NUL: protobuf-c keeps strings as C strings, so it would be cut
///   at the NUL (`/…/Check\0/…/DeleteTenant` read as `/…/Check`);
/// - a string that is not valid UTF-8: proto3 strings are UTF-8, and Google's
///   protobuf refuses them too; decoding would otherwise rewrite them to U+FFFD;
/// - a varint that does not fit its field's 32-bit type: protobuf-c keeps the low
///   32 bits (a `timeout_ms` of 2^32 + 1 would mean 1 ms);
/// - a singular message field occurring more than
///   ``ProtoLimits/maximumSingularMessageOccurrences`` times in one message: protobuf
///   merges the occurrences, and protobuf-c merges by copying everything merged so
///   far, so n occurrences cost n² (25,000 of them in 4 MiB took 16 s of CPU);
/// - more than ``ProtoLimits/maximumFieldCount`` fields in all: protobuf-c keeps about
///   80 bytes per field while decoding (its scan record, and a copy of each unknown
///   field), so 4 MiB of two-byte fields would take 160 MiB.
///
/// Nesting needs no bound of its own: no message type of the API contains itself,
/// directly or not (a test holds that), so the schema bounds the depth of protobuf-c's
/// recursion and of this walk.
///
/// The walk is one linear pass with no heap allocation; a refused field's path
/// (`lead.email`, `lines[2].name`) is built only on the way out of a refusal.
/// Unknown fields are skipped, and fields whose wire type does not match their
/// declaration are left to protobuf-c, which refuses them.
@usableFromInline
enum ProtoWireCheck {
    /// Why an encoding was refused.
    @usableFromInline
    enum Failure: Error {
        /// Not a protobuf encoding: truncated, an unterminated varint, a group or
        /// unknown wire type.
        case malformed
        /// A field is refused; `reversedPath` lists the path's components from the
        /// field up to the top-level message.
        case refused(reversedPath: [String], problem: ProtoCodecError.FieldProblem)
        /// More fields than ``ProtoLimits/maximumFieldCount``.
        case tooManyFields

        /// This failure as decoding `messageName` from `byteCount` bytes reports it.
        @usableFromInline
        func codecError(messageName: String, byteCount: Int) -> ProtoCodecError {
            switch self {
            case .malformed:
                ProtoCodecError(kind: .malformed, messageName: messageName, byteCount: byteCount)
            case .tooManyFields:
                ProtoCodecError(kind: .tooManyFields(limit: ProtoLimits.maximumFieldCount), messageName: messageName, byteCount: byteCount)
            case .refused(let reversedPath, let problem):
                ProtoCodecError(
                    kind: .invalidField(path: reversedPath.reversed().joined(separator: "."), problem: problem),
                    messageName: messageName,
                    byteCount: byteCount
                )
            }
        }
    }

    /// Checks `bytes` as an encoding of the message `descriptor` describes.
    @usableFromInline
    static func check(
        _ bytes: UnsafeRawBufferPointer,
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    ) throws(Failure) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let start = base.assumingMemoryBound(to: UInt8.self)
        var fieldsLeft = ProtoLimits.maximumFieldCount
        try checkMessage(from: start, to: start + bytes.count, descriptor, fieldsLeft: &fieldsLeft)
    }

    private static func checkMessage(
        from start: UnsafePointer<UInt8>,
        to end: UnsafePointer<UInt8>,
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        fieldsLeft: inout Int
    ) throws(Failure) {
        try checkFields(from: start, of: start, to: end, descriptor, mergeCounts: nil, fieldsLeft: &fieldsLeft)
    }

    /// Checks the fields from `start` on of the message encoded at `messageStart..<end`.
    ///
    /// `mergeCounts` counts the occurrences of each singular message field. It is made
    /// (on the stack) only when the first such field turns up, and the walk goes on
    /// from that field with it: most messages have none, and pay nothing for counting.
    private static func checkFields(
        from start: UnsafePointer<UInt8>,
        of messageStart: UnsafePointer<UInt8>,
        to end: UnsafePointer<UInt8>,
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        mergeCounts: UnsafeMutableBufferPointer<UInt8>?,
        fieldsLeft: inout Int
    ) throws(Failure) {
        // A message without fields has no field array: everything in it is unknown.
        let fields = descriptor.pointee.fields
        let fieldCount = fields == nil ? 0 : Int(descriptor.pointee.n_fields)
        var lastIndex = 0
        var cursor = start
        while cursor < end {
            let fieldStart = cursor
            fieldsLeft -= 1
            guard fieldsLeft >= 0 else { throw .tooManyFields }
            let tag = try readVarint(&cursor, end)
            guard tag <= UInt64(UInt32.max) else { throw .malformed }
            let wireType = UInt8(tag & 7)
            let valueStart = cursor
            try skipValue(wireType: wireType, &cursor, end)

            // Fields mostly come in declaration order, and repeated ones together: try
            // the field of the last tag and the one after it before searching.
            let number = UInt32(tag >> 3)
            guard fieldCount > 0, let fields else { continue }
            let index: Int
            if fields[lastIndex].id == number {
                index = lastIndex
            } else if lastIndex + 1 < fieldCount, fields[lastIndex + 1].id == number {
                index = lastIndex + 1
            } else if let found = protobuf_c_message_descriptor_get_field(descriptor, number) {
                index = found - fields
            } else {
                continue
            }
            lastIndex = index
            let field = fields + index
            let repeated = field.pointee.label == PROTOBUF_C_LABEL_REPEATED
            if !repeated, wireType == 2, field.pointee.type == PROTOBUF_C_TYPE_MESSAGE {
                guard let mergeCounts else {
                    fieldsLeft += 1  // counted again from `fieldStart`
                    try withMergeCounts(fieldCount) { counts throws(Failure) in
                        try checkFields(from: fieldStart, of: messageStart, to: end, descriptor, mergeCounts: counts, fieldsLeft: &fieldsLeft)
                    }
                    return
                }
                guard Int(mergeCounts[index]) < ProtoLimits.maximumSingularMessageOccurrences else {
                    throw .refused(
                        reversedPath: [String(cString: field.pointee.name)],
                        problem: .occursTooOften(limit: ProtoLimits.maximumSingularMessageOccurrences)
                    )
                }
                mergeCounts[index] += 1
            }
            do {
                try checkValue(field, wireType: wireType, from: valueStart, to: cursor, fieldsLeft: &fieldsLeft)
            } catch .refused(let path, let problem) {
                let name = String(cString: field.pointee.name)
                // A packed occurrence holds many elements: it gets no index.
                let packed = wireType == 2 && !field.pointee.type.isLengthDelimited
                let component =
                    repeated && !packed
                    ? "\(name)[\(occurrences(of: number, from: messageStart, to: fieldStart))]" : name
                throw .refused(reversedPath: path + [component], problem: problem)
            } catch {
                throw error
            }
        }
    }

    /// Runs `body` with `count` zeroed counters on the stack.
    private static func withMergeCounts(
        _ count: Int,
        _ body: (UnsafeMutableBufferPointer<UInt8>) throws(Failure) -> Void
    ) throws(Failure) {
        let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { counts in
            counts.initialize(repeating: 0)
            return Result { () throws(Failure) in try body(counts) }
        }
        try result.get()
    }

    /// How often field `number` occurs in `start..<end` (fields already checked): the
    /// index of its next element, for the path of a refused one.
    private static func occurrences(of number: UInt32, from start: UnsafePointer<UInt8>, to end: UnsafePointer<UInt8>) -> Int {
        var cursor = start
        var count = 0
        while cursor < end, let tag = try? readVarint(&cursor, end) {
            guard (try? skipValue(wireType: UInt8(tag & 7), &cursor, end)) != nil else { break }
            if UInt32(truncatingIfNeeded: tag >> 3) == number { count += 1 }
        }
        return count
    }

    /// Checks one occurrence of `field`, whose value (after the tag) is `start..<end`.
    private static func checkValue(
        _ field: UnsafePointer<ProtobufCFieldDescriptor>,
        wireType: UInt8,
        from start: UnsafePointer<UInt8>,
        to end: UnsafePointer<UInt8>,
        fieldsLeft: inout Int
    ) throws(Failure) {
        let type = field.pointee.type
        switch (type, wireType) {
        case (PROTOBUF_C_TYPE_STRING, 2):
            var cursor = start
            let length = Int(try readVarint(&cursor, end))
            if let problem = stringProblem(cursor, count: length) {
                throw .refused(reversedPath: [], problem: problem)
            }
        case (PROTOBUF_C_TYPE_MESSAGE, 2):
            var cursor = start
            _ = try readVarint(&cursor, end)
            let sub = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
            try checkMessage(from: cursor, to: end, sub, fieldsLeft: &fieldsLeft)
        case (_, 0) where type.isNarrowVarint:
            var cursor = start
            let value = try readVarint(&cursor, end)
            guard type.accepts(value) else { throw .refused(reversedPath: [], problem: .outOfRange) }
        case (_, 2) where type.isNarrowVarint && field.pointee.label == PROTOBUF_C_LABEL_REPEATED:
            // Packed elements.
            var cursor = start
            let length = Int(try readVarint(&cursor, end))
            let packedEnd = cursor + length
            while cursor < packedEnd {
                guard type.accepts(try readVarint(&cursor, packedEnd)) else {
                    throw .refused(reversedPath: [], problem: .outOfRange)
                }
            }
        default:
            // Other types need no check; a wire type that does not match the field's
            // declaration is protobuf-c's to refuse.
            break
        }
    }

    /// Moves `cursor` past one value of `wireType`.
    @inline(__always)
    private static func skipValue(wireType: UInt8, _ cursor: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) throws(Failure) {
        let size: Int
        switch wireType {
        case 0:
            _ = try readVarint(&cursor, end)
            return
        case 1: size = 8
        case 2:
            let length = try readVarint(&cursor, end)
            guard length <= UInt64(end - cursor) else { throw .malformed }
            size = Int(length)
        case 5: size = 4
        default:
            // Groups (3, 4) are not proto3, and protobuf-c refuses them; 6 and 7 do not exist.
            throw .malformed
        }
        guard size <= end - cursor else { throw .malformed }
        cursor += size
    }

    @inline(__always)
    private static func readVarint(_ cursor: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while cursor < end, shift < 70 {
            let byte = cursor.pointee
            cursor += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw .malformed
    }

    /// What is wrong with the `count` bytes at `start` as a string, if anything.
    static func stringProblem(_ start: UnsafePointer<UInt8>, count: Int) -> ProtoCodecError.FieldProblem? {
        var index = 0
        // Eight bytes at a time while they are ASCII without NUL, the common case.
        let raw = UnsafeRawPointer(start)
        while index + 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let highBits: UInt64 = 0x8080_8080_8080_8080
            let hasZeroByte = (word &- 0x0101_0101_0101_0101) & ~word & highBits
            guard word & highBits == 0, hasZeroByte == 0 else { break }
            index += 8
        }
        while index < count {
            let lead = start[index]
            if lead < 0x80 {
                if lead == 0 { return .nulCharacter }
                index += 1
                continue
            }
            let continuationCount: Int
            var scalar: UInt32
            let smallest: UInt32
            switch lead {
            case 0xC0...0xDF: (continuationCount, scalar, smallest) = (1, UInt32(lead & 0x1F), 0x80)
            case 0xE0...0xEF: (continuationCount, scalar, smallest) = (2, UInt32(lead & 0x0F), 0x800)
            case 0xF0...0xF7: (continuationCount, scalar, smallest) = (3, UInt32(lead & 0x07), 0x10000)
            default: return .invalidUTF8
            }
            guard index + continuationCount < count else { return .invalidUTF8 }
            for offset in 1...continuationCount {
                let byte = start[index + offset]
                guard byte & 0xC0 == 0x80 else { return .invalidUTF8 }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
            guard scalar >= smallest, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return .invalidUTF8 }
            index += continuationCount + 1
        }
        return nil
    }
}

extension ProtobufCType {
    /// Strings, bytes and messages: one occurrence is one element even when repeated.
    fileprivate var isLengthDelimited: Bool {
        self == PROTOBUF_C_TYPE_STRING || self == PROTOBUF_C_TYPE_BYTES || self == PROTOBUF_C_TYPE_MESSAGE
    }

    /// Varint types that protobuf-c narrows to 32 bits.
    fileprivate var isNarrowVarint: Bool {
        self == PROTOBUF_C_TYPE_INT32 || self == PROTOBUF_C_TYPE_UINT32 || self == PROTOBUF_C_TYPE_SINT32
            || self == PROTOBUF_C_TYPE_ENUM
    }

    /// Whether a varint of this (narrow) type holds `value` without losing bits. A
    /// negative int32 or enum is written as its 64-bit two's complement.
    fileprivate func accepts(_ value: UInt64) -> Bool {
        if value <= UInt64(UInt32.max) { return true }
        guard self == PROTOBUF_C_TYPE_INT32 || self == PROTOBUF_C_TYPE_ENUM else { return false }
        let signed = Int64(bitPattern: value)
        return signed < 0 && signed >= Int64(Int32.min)
    }
}
