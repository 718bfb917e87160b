public import CProtobufC

/// Limits applied when decoding.
public enum ProtoLimits {
    /// The largest encoded message decoded unless a caller asks otherwise: 4 MiB,
    /// gRPC's default maximum received message size.
    public static let defaultMaximumMessageSize = 4 * 1024 * 1024

    /// How often one singular message field may occur in one message: 16. protobuf
    /// merges repeated occurrences, which protobuf-c does by copying everything merged
    /// so far (n occurrences cost n²); an encoder writes a field once, and a few
    /// concatenated encodings stay far below this.
    public static let maximumSingularMessageOccurrences = 16

    /// How many fields one message may hold, nested ones included, each occurrence
    /// counted once (a packed list once): 500,000. protobuf-c keeps about 80 bytes per
    /// field while it decodes, so this bounds one decoding's memory near 40 MiB;
    /// the largest request of the API, a 10,000-row import, needs a fraction of it.
    public static let maximumFieldCount = 500_000
}

/// Stack memory given to each encoding's or decoding's arena before it falls back to the heap.
@usableFromInline let initialArenaBytes = 8192

/// protobuf-c's allocator callbacks over a ``ProtoArena``: `allocator_data` points at
/// the arena, allocations are bumped out of it and `free` does nothing, since the
/// whole arena goes away at once.
@usableFromInline
func arenaAllocator(_ arena: UnsafeMutablePointer<ProtoArena>) -> ProtobufCAllocator {
    ProtobufCAllocator(
        alloc: { data, size in
            data!.assumingMemoryBound(to: ProtoArena.self).pointee.allocate(byteCount: size, alignment: 16)
        },
        free: { _, _ in },
        allocator_data: UnsafeMutableRawPointer(arena)
    )
}

extension ProtoMessage {
    // MARK: Encoding

    /// Builds this message's C struct in an arena and passes it to `body`; the struct
    /// and everything it points to are released when `body` returns.
    @inlinable
    public func withCMessage<Result>(
        _ body: (UnsafePointer<ProtobufCMessage>) throws -> Result
    ) rethrows -> Result {
        try withUnsafeTemporaryAllocation(byteCount: initialArenaBytes, alignment: 16) { block in
            var arena = ProtoArena(initialBlock: block)
            let cMessage = arena.message(self)
            return try body(UnsafeRawPointer(cMessage).assumingMemoryBound(to: ProtobufCMessage.self))
        }
    }

    /// Packs the message's C struct with protobuf-c through `writer`, which is told
    /// the exact encoded size and given a function that packs into memory of at least
    /// that size.
    ///
    /// This lets a transport pack straight into its own buffer, without a copy.
    @inlinable
    public func encode<Result>(
        _ writer: (_ size: Int, _ pack: (UnsafeMutableRawPointer) -> Int) throws -> Result
    ) rethrows -> Result {
        try withCMessage { cMessage in
            let size = protobuf_c_message_get_packed_size(cMessage)
            return try writer(size) { out in
                protobuf_c_message_pack(cMessage, out.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// The protobuf encoding of this message.
    @inlinable
    public func serializedBytes() -> [UInt8] {
        encode { size, pack in
            [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                count = size == 0 ? 0 : pack(buffer.baseAddress!)
            }
        }
    }

    /// The size in bytes of ``serializedBytes()``.
    public var serializedSize: Int {
        encode { size, _ in size }
    }

    // MARK: Decoding

    /// Decodes `bytes` with protobuf-c.
    ///
    /// Fields this code does not know (from a newer peer) are skipped.
    ///
    /// Strings must be valid UTF-8 without NUL characters, 32-bit varints must fit
    /// in 32 bits, and the cost of decoding is bounded (``ProtoWireCheck``), so that
    /// what protobuf-c decodes is exactly what was sent, in linear time and bounded
    /// memory.
    ///
    /// - Throws: ``ProtoCodecError`` with `.tooLarge` when `bytes` is longer than
    ///   `maximumSize` (checked before protobuf-c sees the bytes), `.invalidField`
    ///   for a field refused by those checks, `.tooManyFields` past
    ///   ``ProtoLimits/maximumFieldCount``, `.malformed` when the bytes are not an
    ///   encoding of this message.
    @inlinable
    public init(
        serializedBytes bytes: UnsafeRawBufferPointer,
        maximumSize: Int = ProtoLimits.defaultMaximumMessageSize
    ) throws(ProtoCodecError) {
        guard bytes.count <= maximumSize else {
            throw ProtoCodecError(kind: .tooLarge, messageName: Self.protoName, byteCount: bytes.count)
        }
        do {
            try ProtoWireCheck.check(bytes, Self.cDescriptor)
        } catch {
            throw error.codecError(messageName: Self.protoName, byteCount: bytes.count)
        }
        // The C structs protobuf-c unpacks into come from an arena too: no malloc per
        // string and sub-message, and free_unpacked only walks the message. The arena
        // is on the heap so that the Swift value is built in place, not returned out
        // of a closure (a copy of every field).
        let arena = ProtoArena.allocateOnHeap(blockSize: initialArenaBytes)
        defer { ProtoArena.deallocateOnHeap(arena) }
        var allocator = arenaAllocator(arena)
        // An empty input still needs a valid pointer; the arena is one.
        let data = (bytes.baseAddress ?? UnsafeRawPointer(arena)).assumingMemoryBound(to: UInt8.self)
        guard let message = protobuf_c_message_unpack(Self.cDescriptor, &allocator, bytes.count, data) else {
            throw ProtoCodecError(kind: .malformed, messageName: Self.protoName, byteCount: bytes.count)
        }
        defer { protobuf_c_message_free_unpacked(message, &allocator) }
        self.init(cMessage: UnsafeRawPointer(message).assumingMemoryBound(to: CMessage.self))
    }

    /// Decodes `bytes`; see ``init(serializedBytes:maximumSize:)-(UnsafeRawBufferPointer,_)``.
    @inlinable
    public init(
        serializedBytes bytes: [UInt8],
        maximumSize: Int = ProtoLimits.defaultMaximumMessageSize
    ) throws(ProtoCodecError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ProtoCodecError) in try Self(serializedBytes: buffer, maximumSize: maximumSize) }
        }
        self = try result.get()
    }
}
