public import NIOCore

/// What the frame decoder hands to the next handler.
public enum FrameDecoderOutput: Sendable, Equatable {
    /// A whole, well-formed frame.
    case frame(Frame)
    /// A frame longer than the limit, reported once all its bytes were discarded as
    /// they arrived (never buffered). Answer the call with RESOURCE_EXHAUSTED.
    case oversized(type: FrameType, callID: UInt32, length: Int)
    /// A frame whose header length runs past its end; it was discarded whole.
    /// Answer the call with INVALID_ARGUMENT.
    case invalidHeaderLength(type: FrameType, callID: UInt32)
    /// The first bytes of a frame arrived and the rest has not: the connection
    /// starts its slow-frame timer. Sent once per frame.
    case partialFrameStarted
}

/// The connection cannot continue: the stream is no longer in frames.
public enum FrameDecodingError: Error, Equatable {
    /// The length prefix is too small to hold type, flags, call id and header length.
    case frameTooShort(length: Int)
}

/// Splits a byte stream into frames (SPEC §3), enforcing the maximum frame size from
/// the length prefix alone, before anything of that size is allocated.
///
/// Use it through `ByteToMessageHandler(FrameDecoder(maximumFrameSize:))`.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = FrameDecoderOutput

    private let maximumFrameSize: Int
    /// Bytes of an oversized frame still to be discarded, and that frame.
    private var bytesToSkip = 0
    private var skippedFrame: (type: FrameType, callID: UInt32, length: Int)?
    private var reportedPartialFrame = false

    /// - Parameter maximumFrameSize: the largest value the length prefix may have.
    public init(maximumFrameSize: Int) {
        self.maximumFrameSize = maximumFrameSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> FrameDecoderOutput? {
        if bytesToSkip > 0 {
            let skipped = min(bytesToSkip, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: skipped)
            bytesToSkip -= skipped
            // Discarding is subject to the slow-frame timeout like any partial frame.
            if bytesToSkip > 0 { return reportPartial(buffer, skipping: true) }
            reportedPartialFrame = false
            let frame = skippedFrame!
            skippedFrame = nil
            return .oversized(type: frame.type, callID: frame.callID, length: frame.length)
        }
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map(Int.init) else {
            return reportPartial(buffer)
        }
        guard length >= Frame.fixedBytesAfterLength else {
            throw FrameDecodingError.frameTooShort(length: length)
        }
        guard length <= maximumFrameSize else {
            guard buffer.readableBytes >= Frame.prefixBytes else { return reportPartial(buffer) }
            buffer.moveReaderIndex(forwardBy: 4)
            let type = FrameType(rawValue: buffer.readInteger()!)
            _ = buffer.readInteger(as: UInt8.self)
            let callID = buffer.readInteger(as: UInt32.self)!
            buffer.moveReaderIndex(forwardBy: 4)
            // Reported once its bytes are discarded, so that the answer follows the whole frame.
            bytesToSkip = length - Frame.fixedBytesAfterLength
            skippedFrame = (type, callID, length)
            return try decode(buffer: &buffer)
        }
        guard buffer.readableBytes >= 4 + length else { return reportPartial(buffer) }
        reportedPartialFrame = false
        buffer.moveReaderIndex(forwardBy: 4)
        let type = FrameType(rawValue: buffer.readInteger()!)
        let flags = buffer.readInteger(as: UInt8.self)!
        let callID = buffer.readInteger(as: UInt32.self)!
        let headerLength = Int(buffer.readInteger(as: UInt32.self)!)
        let rest = length - Frame.fixedBytesAfterLength
        guard headerLength <= rest else {
            buffer.moveReaderIndex(forwardBy: rest)
            return .invalidHeaderLength(type: type, callID: callID)
        }
        let header = buffer.readSlice(length: headerLength)!
        let payload = buffer.readSlice(length: rest - headerLength)!
        return .frame(Frame(type: type, flags: flags, callID: callID, header: header, payload: payload))
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> FrameDecoderOutput? {
        let output = try decode(buffer: &buffer)
        if output == .partialFrameStarted { return nil }
        return output
    }

    private mutating func reportPartial(_ buffer: ByteBuffer, skipping: Bool = false) -> FrameDecoderOutput? {
        guard buffer.readableBytes > 0 || skipping, !reportedPartialFrame else { return nil }
        reportedPartialFrame = true
        return .partialFrameStarted
    }
}
