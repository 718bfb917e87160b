/// The memory of C message structs built by ``ProtoJSONEncoder``: every block is
/// zeroed on allocation and freed, all at once, when this object goes away.
///
/// protobuf-c only reads these structs (`protobuf_c_message_pack`), so nothing
/// else ever frees them.
final class CMemory {
    private var blocks: [UnsafeMutableRawPointer] = []

    init() {}

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// A zeroed block of `byteCount` bytes (at least 1), aligned for any C type.
    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = max(byteCount, 1)
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        blocks.append(block)
        return block
    }

    /// A NUL-terminated copy of `text`.
    func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
        var utf8 = Array(text.utf8CString)
        let block = allocate(byteCount: utf8.count)
        utf8.withUnsafeMutableBytes { block.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return block.assumingMemoryBound(to: CChar.self)
    }

    /// A copy of `bytes`; `nil` for none.
    func bytes(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8>? {
        guard !bytes.isEmpty else { return nil }
        let block = allocate(byteCount: bytes.count)
        bytes.withUnsafeBytes { block.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return block.assumingMemoryBound(to: UInt8.self)
    }
}
