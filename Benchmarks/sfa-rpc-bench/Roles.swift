import Foundation
import Logging
import NIOCore
import NIOPosix
import SFAServer
import SFATransport

#if canImport(Glibc)
    import Glibc
#endif

/// `--role server`: an `RPCServer` hosting only its built-in services (health,
/// reflection), with no observers, so that what is measured is the transport and
/// dispatch rather than logging and metrics.
func runServerRole(port: Int) async throws {
    var logger = Logger(label: "sfa-rpc-bench.server")
    logger.logLevel = .warning
    let server = RPCServer(
        configuration: ServerConfiguration(host: "127.0.0.1", port: port),
        services: [],
        observers: [],
        logger: logger
    )
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        let address = try await server.listeningAddress
        announce(port: address.port)
        exitWhenStandardInputCloses()
        try await group.next()
    }
}

/// `--role echo`: the ceiling. The same framing and decoder as the server, and a
/// handler that answers each REQUEST with an empty RESPONSE, with no task, no
/// dispatch and no protobuf coding.
func runEchoRole(port: Int) async throws {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandlers(
                    ByteToMessageHandler(FrameDecoder(maximumFrameSize: 4 * 1024 * 1024)),
                    EchoHandler()
                )
            }
        }
        .bind(host: "127.0.0.1", port: port)
        .get()
    announce(port: channel.localAddress?.port)
    exitWhenStandardInputCloses()
    try await channel.closeFuture.get()
}

/// Answers every REQUEST frame with `RESPONSE, same call id, header length 0, no
/// payload`: an empty `ResponseHeader` is status OK and an empty payload is a
/// default `HealthCheckResponse`, so the client does all its usual work.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = FrameDecoderOutput
    typealias OutboundOut = ByteBuffer

    private var wrote = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .frame(let frame) = unwrapInboundIn(data), frame.type == .request else { return }
        var buffer = context.channel.allocator.buffer(capacity: Frame.prefixBytes)
        buffer.writeInteger(UInt32(Frame.fixedBytesAfterLength))
        buffer.writeInteger(FrameType.response.rawValue)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(frame.callID)
        buffer.writeInteger(UInt32(0))
        context.write(wrapOutboundOut(buffer), promise: nil)
        wrote = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if wrote {
            wrote = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Tells the driver where the child listens: the one line it reads from our stdout.
private func announce(port: Int?) {
    guard let port else {
        printError("no listening port")
        exit(1)
    }
    // Unbuffered: stdout is a pipe, where print would hold the line back.
    FileHandle.standardOutput.write(Data("PORT \(port)\n".utf8))
}

/// A child lives as long as the driver holds its stdin open: when the driver exits
/// or dies, the pipe closes and the child exits too.
private func exitWhenStandardInputCloses() {
    Thread.detachNewThread {
        var byte: UInt8 = 0
        while read(STDIN_FILENO, &byte, 1) > 0 {}
        exit(0)
    }
}
