import GRPCCore
import GRPCNIOTransportHTTP2Posix
public import Logging
public import SFARPC
public import SFATransport
public import ServiceLifecycle

/// The optional gRPC listener (`sfad --grpc-port`): HTTP/2 with grpc-swift-2, serving
/// every method of the API through the native server's own ``RPCDispatcher`` — the
/// same gate, call limits, interceptors, handlers and observers — so a stock gRPC
/// client generated from `proto/` gets what the framed protocol gives
/// (docs/protocol.md, "gRPC endpoint").
///
/// A service of the server's `ServiceGroup`: on graceful shutdown it stops accepting
/// streams and lets the RPCs in flight finish.
public final class GRPCEndpoint: Service, Sendable {
    /// Where the endpoint listens and what it accepts.
    public struct Configuration: Sendable {
        /// The address to listen on; loopback by default, like the native listener.
        public var host: String
        /// The TCP port; 0 picks a free one.
        public var port: Int
        /// The largest request message accepted, as the native transport's largest frame.
        public var maximumMessageSize: Int
        /// Streams one connection may have open at once, as the native transport's
        /// calls in flight per connection.
        public var maximumConcurrentStreams: Int
        /// The largest request of each kind of method, as on the native transport.
        public var requestSizes: RequestSizeLimits
        /// How long a connection may stay without calls before it is closed, as the
        /// native transport's idle timeout; nil keeps it open.
        public var idleTimeout: Duration?

        public init(
            host: String = "127.0.0.1",
            port: Int,
            maximumMessageSize: Int = 4 * 1024 * 1024,
            maximumConcurrentStreams: Int = 100,
            requestSizes: RequestSizeLimits = RequestSizeLimits(),
            idleTimeout: Duration? = .seconds(300)
        ) {
            self.host = host
            self.port = port
            self.maximumMessageSize = maximumMessageSize
            self.maximumConcurrentStreams = maximumConcurrentStreams
            self.requestSizes = requestSizes
            self.idleTimeout = idleTimeout
        }
    }

    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let transport: HTTP2ServerTransport.Posix
    private let logger: Logger

    /// - Parameters:
    ///   - dispatcher: the native server's dispatcher (`RPCServer.dispatcher`), so that
    ///     both transports share its limits, statistics and metrics.
    ///   - methods: every method of the API; calls of one the dispatcher does not
    ///     serve get the answer the native transport gives.
    public init(configuration: Configuration, dispatcher: RPCDispatcher, methods: [SFARPC.MethodDescriptor], logger: Logger) {
        transport = HTTP2ServerTransport.Posix(
            address: configuration.host.contains(":")
                ? .ipv6(host: configuration.host, port: configuration.port) : .ipv4(host: configuration.host, port: configuration.port),
            transportSecurity: .plaintext,
            config: .defaults { config in
                config.rpc.maxRequestPayloadSize = configuration.maximumMessageSize
                config.http2.maxConcurrentStreams = configuration.maximumConcurrentStreams
                config.connection.maxIdleTime = configuration.idleTimeout
            }
        )
        let service = DispatchingService(
            dispatcher: dispatcher,
            methods: methods,
            maximumMessageSize: configuration.maximumMessageSize,
            requestSizes: configuration.requestSizes
        )
        server = GRPCServer(transport: transport, services: [service])
        self.logger = logger
    }

    /// The port the endpoint listens on, once it does (useful with port 0).
    public var listeningPort: Int {
        get async throws {
            let address = try await transport.listeningAddress
            guard let port = address.ipv4?.port ?? address.ipv6?.port else {
                throw SFARPC.RPCError(code: .internalError, message: "the gRPC endpoint listens on no TCP port")
            }
            return port
        }
    }

    public func run() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await server.serve()
        } onCancelOrGracefulShutdown: {
            self.server.beginGracefulShutdown()
        }
        logger.info("gRPC endpoint stopped")
    }
}
