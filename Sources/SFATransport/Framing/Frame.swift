public import NIOCore
public import SFACodec

/// One frame of the wire protocol (SPEC §3, docs/protocol.md):
///
/// ```
/// u32 BE  length of the rest of the frame
/// u8      type
/// u8      flags (0; unknown bits ignored)
/// u32 BE  call id
/// u32 BE  header length H
/// H bytes header (a protobuf message)
/// rest    payload (a protobuf message)
/// ```
public struct Frame: Sendable, Equatable {
    /// Bytes after the length prefix that every frame has: type, flags, call id, header length.
    public static let fixedBytesAfterLength = 10
    /// Bytes before the header: the length prefix and the fixed part.
    public static let prefixBytes = 4 + fixedBytesAfterLength

    public var type: FrameType
    public var flags: UInt8
    public var callID: UInt32
    public var header: ByteBuffer
    public var payload: ByteBuffer

    public init(type: FrameType, flags: UInt8 = 0, callID: UInt32, header: ByteBuffer, payload: ByteBuffer) {
        self.type = type
        self.flags = flags
        self.callID = callID
        self.header = header
        self.payload = payload
    }
}

extension ByteBuffer {
    /// Appends a whole frame whose header and payload are protobuf messages, packing
    /// each straight into this buffer (no intermediate copy).
    public mutating func writeFrame(
        type: FrameType,
        callID: UInt32,
        header: some ProtoMessage,
        payload: (some ProtoMessage)?
    ) {
        let start = writerIndex
        writeInteger(UInt32(0))  // the length, patched below
        writeInteger(type.rawValue)
        writeInteger(UInt8(0))
        writeInteger(callID)
        let headerLengthIndex = writerIndex
        writeInteger(UInt32(0))
        let headerLength = writeMessage(header)
        setInteger(UInt32(headerLength), at: headerLengthIndex)
        if let payload { writeMessage(payload) }
        setInteger(UInt32(writerIndex - start - 4), at: start)
    }

    /// Appends a frame with raw header and payload bytes.
    public mutating func writeFrame(_ frame: Frame) {
        writeInteger(UInt32(Frame.fixedBytesAfterLength + frame.header.readableBytes + frame.payload.readableBytes))
        writeInteger(frame.type.rawValue)
        writeInteger(frame.flags)
        writeInteger(frame.callID)
        writeInteger(UInt32(frame.header.readableBytes))
        writeImmutableBuffer(frame.header)
        writeImmutableBuffer(frame.payload)
    }

    /// Packs `message` with protobuf-c directly into the buffer; returns the bytes written.
    @discardableResult
    public mutating func writeMessage(_ message: some ProtoMessage) -> Int {
        message.encode { size, pack in
            writeWithUnsafeMutableBytes(minimumWritableBytes: size) { buffer in
                size == 0 ? 0 : pack(buffer.baseAddress!)
            }
        }
    }
}

extension ProtoMessage {
    /// Decodes the readable bytes of `buffer` without copying them.
    public init(buffer: ByteBuffer, maximumSize: Int = ProtoLimits.defaultMaximumMessageSize) throws(ProtoCodecError) {
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(ProtoCodecError) in try Self(serializedBytes: bytes, maximumSize: maximumSize) }
        }
        self = try result.get()
    }
}
