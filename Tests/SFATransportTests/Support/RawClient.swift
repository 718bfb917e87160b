import NIOCore
import NIOPosix
import SFAStubs
import SFATransport

/// A client that writes raw frames and reads back whatever the server sends, for
/// tests of malformed input and of connection-level behaviour.
final class RawClient: Sendable {
    let channel: any Channel
    private let frames: AsyncStream<FrameDecoderOutput>
    private let iterator: IteratorBox

    private final class IteratorBox: @unchecked Sendable {
        // Used by one test task at a time.
        var iterator: AsyncStream<FrameDecoderOutput>.AsyncIterator
        init(_ iterator: AsyncStream<FrameDecoderOutput>.AsyncIterator) { self.iterator = iterator }
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = FrameDecoderOutput
        let continuation: AsyncStream<FrameDecoderOutput>.Continuation
        init(_ continuation: AsyncStream<FrameDecoderOutput>.Continuation) { self.continuation = continuation }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(unwrapInboundIn(data))
        }
        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
        }
    }

    init(port: Int) async throws {
        let (stream, continuation) = AsyncStream<FrameDecoderOutput>.makeStream()
        frames = stream
        iterator = IteratorBox(stream.makeAsyncIterator())
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(FrameDecoder(maximumFrameSize: 1 << 24)),
                        Collector(continuation)
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    }

    /// Writes bytes as they are.
    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Writes a REQUEST frame for `method` with `payload` bytes.
    func sendRequest(callID: UInt32, method: String, payload: [UInt8], timeoutMs: UInt32 = 0) async throws {
        try await sendRequest(callID: callID, header: RequestHeader(method: method, timeoutMs: timeoutMs).serializedBytes(), payload: payload)
    }

    /// Writes a REQUEST frame whose header is `header`, as it is.
    func sendRequest(callID: UInt32, header: [UInt8], payload: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: 128)
        buffer.writeFrame(Frame(type: .request, callID: callID, header: ByteBuffer(bytes: header), payload: ByteBuffer(bytes: payload)))
        try await channel.writeAndFlush(buffer)
    }

    /// The next frame from the server, or `nil` once the connection closed.
    /// Gives up after `timeout`.
    func next(timeout: Duration = .seconds(30)) async throws -> Frame? {
        let box = iterator
        return try await withThrowingTaskGroup(of: Frame?.self) { group in
            group.addTask {
                while let output = await box.iterator.next() {
                    if case .frame(let frame) = output { return frame }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimedOut()
            }
            let frame = try await group.next()!
            group.cancelAll()
            return frame
        }
    }

    func close() async {
        try? await channel.close()
    }

    struct TimedOut: Error {}
}

extension Frame {
    /// The response header of a RESPONSE frame.
    var responseHeader: ResponseHeader {
        get throws { try ResponseHeader(buffer: header) }
    }
}
