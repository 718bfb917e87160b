import NIOCore
import NIOEmbedded
import SFATransport
import Testing

/// The frame decoder on an `EmbeddedChannel`: bytes in, frames out.
@Suite struct FrameDecoderTests {
    private func makeChannel(maximumFrameSize: Int = 1024) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(FrameDecoder(maximumFrameSize: maximumFrameSize))
        )
        return channel
    }

    private func frameBytes(type: UInt8 = 1, callID: UInt32, header: [UInt8], payload: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeFrame(
            Frame(
                type: FrameType(rawValue: type),
                callID: callID,
                header: ByteBuffer(bytes: header),
                payload: ByteBuffer(bytes: payload)
            )
        )
        return Array(buffer.readableBytesView)
    }

    private func outputs(_ channel: EmbeddedChannel) throws -> [FrameDecoderOutput] {
        var outputs: [FrameDecoderOutput] = []
        while let output = try channel.readInbound(as: FrameDecoderOutput.self) { outputs.append(output) }
        return outputs
    }

    @Test func frameLayoutIsTheSpecifiedOne() {
        let bytes = frameBytes(type: 1, callID: 0x0102_0304, header: [0xAA], payload: [0xBB, 0xCC])
        // length 13 = 10 fixed + 1 header + 2 payload; type 1; flags 0; call id; header length 1.
        #expect(bytes == [0, 0, 0, 13, 1, 0, 1, 2, 3, 4, 0, 0, 0, 1, 0xAA, 0xBB, 0xCC])
    }

    @Test func aFrameDeliveredOneByteAtATimeDecodesOnce() throws {
        let channel = try makeChannel()
        let bytes = frameBytes(callID: 7, header: [1, 2, 3], payload: Array(repeating: 9, count: 50))
        var decoded: [FrameDecoderOutput] = []
        for byte in bytes {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            decoded += try outputs(channel)
        }
        #expect(decoded.count == 2)
        #expect(decoded.first == .partialFrameStarted)
        guard case .frame(let frame) = decoded.last else {
            Issue.record("no frame decoded")
            return
        }
        #expect(frame.callID == 7)
        #expect(Array(frame.header.readableBytesView) == [1, 2, 3])
        #expect(frame.payload.readableBytes == 50)
        #expect(try channel.finish().isClean)
    }

    @Test func manyFramesInOneReadAllDecode() throws {
        let channel = try makeChannel()
        var bytes: [UInt8] = []
        for callID in 1...100 { bytes += frameBytes(callID: UInt32(callID), header: [], payload: [UInt8(callID)]) }
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        let frames = try outputs(channel).compactMap { output -> Frame? in
            if case .frame(let frame) = output { return frame }
            return nil
        }
        #expect(frames.map(\.callID) == (1...100).map(UInt32.init))
        #expect(frames.map { $0.payload.getInteger(at: $0.payload.readerIndex, as: UInt8.self) } == (1...100).map(UInt8.init))
        #expect(try channel.finish().isClean)
    }

    @Test func zeroLengthHeaderAndPayloadDecode() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: frameBytes(type: 4, callID: 3, header: [], payload: [])))
        let output = try outputs(channel)
        #expect(output == [.frame(Frame(type: .ping, callID: 3, header: ByteBuffer(), payload: ByteBuffer()))])
        #expect(try channel.finish().isClean)
    }

    @Test func aLengthOverTheMaximumIsRefusedFromThePrefixAndSkipped() throws {
        let channel = try makeChannel(maximumFrameSize: 1024)
        // Claims 2 GiB; only the first 14 bytes are sent, then the next frame must still decode after
        // the claimed body is discarded piece by piece.
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(3000))
        prefix.writeInteger(UInt8(1))
        prefix.writeInteger(UInt8(0))
        prefix.writeInteger(UInt32(42))
        prefix.writeInteger(UInt32(0))
        try channel.writeInbound(prefix)
        #expect(try outputs(channel) == [.partialFrameStarted])
        // The rest of the body (3000 - 10 fixed bytes) arrives in chunks that are discarded, not
        // buffered; the frame is reported once it is all gone.
        var during: [FrameDecoderOutput] = []
        for count in [1000, 1000, 990] {
            try channel.writeInbound(ByteBuffer(repeating: 0, count: count))
            during += try outputs(channel)
        }
        #expect(during == [.oversized(type: .request, callID: 42, length: 3000)])
        try channel.writeInbound(ByteBuffer(bytes: frameBytes(callID: 43, header: [], payload: [])))
        let output = try outputs(channel)
        #expect(output.count == 1)
        if case .frame(let frame) = output.first { #expect(frame.callID == 43) } else { Issue.record("no frame after skip") }
        #expect(try channel.finish().isClean)
    }

    @Test func aFrameRightAfterAnOversizedOneInTheSameReadDecodes() throws {
        let channel = try makeChannel(maximumFrameSize: 64)
        var bytes = frameBytes(callID: 1, header: [], payload: Array(repeating: 7, count: 100))
        bytes += frameBytes(callID: 2, header: [], payload: [])
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        let output = try outputs(channel)
        #expect(output.first == .oversized(type: .request, callID: 1, length: 110))
        #expect(output.count == 2)
        if case .frame(let frame) = output.last { #expect(frame.callID == 2) } else { Issue.record("second frame stalled") }
        #expect(try channel.finish().isClean)
    }

    @Test func aHugeLengthPrefixAllocatesNothing() throws {
        let channel = try makeChannel(maximumFrameSize: 1024)
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32.max)
        prefix.writeInteger(UInt8(1))
        prefix.writeInteger(UInt8(0))
        prefix.writeInteger(UInt32(5))
        prefix.writeInteger(UInt32(0))
        try channel.writeInbound(prefix)
        // Nothing is buffered or allocated for the claimed 4 GiB: the decoder waits, discarding.
        #expect(try outputs(channel) == [.partialFrameStarted])
        _ = try channel.finish()
    }

    @Test func aHeaderLongerThanTheFrameIsReportedAndTheStreamStaysInSync() throws {
        let channel = try makeChannel()
        var bad = ByteBuffer()
        bad.writeInteger(UInt32(12))  // 10 fixed + 2 more bytes
        bad.writeInteger(UInt8(1))
        bad.writeInteger(UInt8(0))
        bad.writeInteger(UInt32(9))
        bad.writeInteger(UInt32(500))  // header length 500 > 2
        bad.writeBytes([1, 2])
        bad.writeBytes(frameBytes(callID: 10, header: [], payload: []))
        try channel.writeInbound(bad)
        let output = try outputs(channel)
        #expect(output.first == .invalidHeaderLength(type: .request, callID: 9))
        #expect(output.count == 2)
        if case .frame(let frame) = output.last { #expect(frame.callID == 10) } else { Issue.record("lost sync") }
        #expect(try channel.finish().isClean)
    }

    @Test func garbageWithATooShortLengthIsAnError() throws {
        let channel = try makeChannel()
        #expect(throws: FrameDecodingError.frameTooShort(length: 3)) {
            try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 3, 0xFF, 0xFF, 0xFF]))
        }
        _ = try? channel.finish()
    }

    @Test func reservedFrameTypesDecodeForTheConnectionToIgnore() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: frameBytes(type: 9, callID: 1, header: [], payload: [1])))
        let output = try outputs(channel)
        if case .frame(let frame) = output.first { #expect(frame.type == FrameType(rawValue: 9)) } else { Issue.record("no frame") }
        #expect(try channel.finish().isClean)
    }
}
