public import CProtobufC

/// A bump allocator for the protobuf-c structs of one message.
///
/// Encoding a Swift message means building the C struct protobuf-c packs from: the
/// struct itself, every string, byte array, repeated-field array and sub-message.
/// Decoding has protobuf-c unpack into C structs first. Either way, all of that memory
/// comes from one arena: a first block (stack memory from the caller, or one heap
/// block), further heap blocks when it runs out, and everything is released at once
/// when the arena goes away — no per-field `malloc`/`free` churn.
///
/// Generated code calls these methods from `ProtoMessage.fill(_:arena:)`; nothing
/// else should need to.
public struct ProtoArena: ~Copyable {
    @usableFromInline var cursor: UnsafeMutableRawPointer
    @usableFromInline var end: UnsafeMutableRawPointer
    @usableFromInline var nextBlockSize: Int
    /// The newest heap block; each heap block starts with a pointer to the one before.
    @usableFromInline var lastHeapBlock: UnsafeMutableRawPointer?

    /// Bytes at the start of each heap block that link it to the previous one.
    @usableFromInline static let blockHeader = 16

    /// Creates an arena whose first block is `initialBlock` (typically stack memory
    /// from `withUnsafeTemporaryAllocation`). The arena never frees that block.
    @inlinable
    public init(initialBlock: UnsafeMutableRawBufferPointer) {
        let base = initialBlock.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 16)!
        cursor = base
        end = base + initialBlock.count
        nextBlockSize = max(4096, initialBlock.count * 2)
        lastHeapBlock = nil
    }

    @inlinable
    deinit {
        var block = lastHeapBlock
        while let current = block {
            block = current.load(as: UnsafeMutableRawPointer?.self)
            current.deallocate()
        }
    }

    /// An arena living at the start of its own first heap block of `blockSize` bytes,
    /// for code that cannot scope an arena to a closure. Release it with
    /// ``deallocateOnHeap(_:)``.
    @inlinable
    public static func allocateOnHeap(blockSize: Int) -> UnsafeMutablePointer<ProtoArena> {
        let header = (MemoryLayout<ProtoArena>.size + 15) & ~15
        let block = UnsafeMutableRawPointer.allocate(byteCount: header + blockSize, alignment: 16)
        let arena = block.bindMemory(to: ProtoArena.self, capacity: 1)
        arena.initialize(to: ProtoArena(initialBlock: UnsafeMutableRawBufferPointer(start: block + header, count: blockSize)))
        return arena
    }

    /// Frees an arena made by ``allocateOnHeap(blockSize:)`` and everything it handed out.
    @inlinable
    public static func deallocateOnHeap(_ arena: UnsafeMutablePointer<ProtoArena>) {
        arena.deinitialize(count: 1)
        UnsafeMutableRawPointer(arena).deallocate()
    }

    /// Returns `byteCount` bytes aligned to `alignment`, valid until the arena is dropped.
    @inlinable
    public mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let mask = UInt(alignment - 1)
        let aligned = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: cursor) + mask) & ~mask)!
        if aligned + byteCount <= end {
            cursor = aligned + byteCount
            return aligned
        }
        return allocateFromNewBlock(byteCount: byteCount, alignment: alignment)
    }

    @usableFromInline
    mutating func allocateFromNewBlock(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let size = max(nextBlockSize, byteCount + alignment + Self.blockHeader)
        nextBlockSize = min(size * 2, 1 << 20)
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: max(alignment, 16))
        block.storeBytes(of: lastHeapBlock, as: UnsafeMutableRawPointer?.self)
        lastHeapBlock = block
        let start = block + max(Self.blockHeader, alignment)
        cursor = start + byteCount
        end = block + size
        return start
    }

    /// Uninitialised storage for `count` values of `T`.
    @inlinable
    public mutating func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        allocate(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
            .bindMemory(to: T.self, capacity: count)
    }

    // MARK: - Values generated code stores into C structs

    /// A NUL-terminated copy of `string`'s UTF-8 bytes.
    ///
    /// protobuf-c measures strings with `strlen`, so a string with an embedded NUL is
    /// encoded up to that NUL; the decoder refuses such strings in what it receives
    /// (``ProtoWireCheck``).
    @inlinable
    public mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let out = allocate(CChar.self, count: utf8.count + 1)
            if let source = utf8.baseAddress {
                UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: utf8.count)
            }
            out[utf8.count] = 0
            return out
        }
    }

    /// A protobuf-c `bytes` value holding a copy of `bytes`.
    @inlinable
    public mutating func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let out = allocate(UInt8.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { source in
            out.initialize(from: source.baseAddress!, count: source.count)
        }
        return ProtobufCBinaryData(len: bytes.count, data: out)
    }

    /// A C array holding `values` converted one by one; `nil` when empty, as protobuf-c expects.
    @inlinable
    public mutating func array<Element, CElement>(
        _ values: [Element],
        _ convert: (Element) -> CElement
    ) -> UnsafeMutablePointer<CElement>? {
        guard !values.isEmpty else { return nil }
        let out = allocate(CElement.self, count: values.count)
        for (index, value) in values.enumerated() {
            (out + index).initialize(to: convert(value))
        }
        return out
    }

    /// A C array of C strings.
    @inlinable
    public mutating func stringArray(_ values: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !values.isEmpty else { return nil }
        let out = allocate(UnsafeMutablePointer<CChar>?.self, count: values.count)
        for (index, value) in values.enumerated() {
            (out + index).initialize(to: cString(value))
        }
        return out
    }

    /// A C array of `ProtobufCBinaryData`.
    @inlinable
    public mutating func binaryArray(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData>? {
        guard !values.isEmpty else { return nil }
        let out = allocate(ProtobufCBinaryData.self, count: values.count)
        for (index, value) in values.enumerated() {
            (out + index).initialize(to: binary(value))
        }
        return out
    }

    /// An initialised, filled C struct for `message`.
    @inlinable
    public mutating func message<M: ProtoMessage>(_ message: M) -> UnsafeMutablePointer<M.CMessage> {
        let out = emptyMessage(M.self)
        message.fill(out, arena: &self)
        return out
    }

    /// A C struct for `M` set to its defaults by the descriptor's initialiser.
    @inlinable
    public mutating func emptyMessage<M: ProtoMessage>(_: M.Type) -> UnsafeMutablePointer<M.CMessage> {
        let out = allocate(M.CMessage.self, count: 1)
        M.cDescriptor.pointee.message_init(UnsafeMutableRawPointer(out).assumingMemoryBound(to: ProtobufCMessage.self))
        return out
    }

    /// A C array of pointers to filled C structs, one per element of `messages`.
    @inlinable
    public mutating func messageArray<M: ProtoMessage>(
        _ messages: [M]
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<M.CMessage>?>? {
        guard !messages.isEmpty else { return nil }
        let out = allocate(UnsafeMutablePointer<M.CMessage>?.self, count: messages.count)
        for (index, element) in messages.enumerated() {
            (out + index).initialize(to: message(element))
        }
        return out
    }

    /// A C array of map-entry structs for `map`, in ascending key order so that the
    /// encoding of a message is deterministic.
    ///
    /// - Parameters:
    ///   - initialize: the protoc-c `*__init` function of the entry struct.
    ///   - set: stores one key and value into an initialised entry.
    @inlinable
    public mutating func mapEntries<Key: Comparable, Value, Entry>(
        _ map: [Key: Value],
        initialize: (UnsafeMutablePointer<Entry>?) -> Void,
        set: (UnsafeMutablePointer<Entry>, Key, Value, inout ProtoArena) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>? {
        guard !map.isEmpty else { return nil }
        let out = allocate(UnsafeMutablePointer<Entry>?.self, count: map.count)
        for (index, key) in map.keys.sorted().enumerated() {
            let entry = allocate(Entry.self, count: 1)
            initialize(entry)
            set(entry, key, map[key]!, &self)
            (out + index).initialize(to: entry)
        }
        return out
    }
}
