public import Logging
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import Prometheus
public import ServiceLifecycle

/// The admin HTTP listener (HTTP/1.1, GET only), apart from the RPC port so that
/// scrapers and probes never compete with calls or need an API key:
///
/// - `/metrics`: the registry in the Prometheus text format;
/// - `/healthz`: 200 while the process runs (a liveness probe);
/// - `/readyz`: 200 when every readiness check passes, else 503 listing what is not
///   ready (a readiness probe: take the node out of rotation).
///
/// Run it in the same `ServiceGroup` as the `RPCServer`, before it: the group stops
/// services in reverse order, so `/readyz` answers 503 while the RPC server drains.
public final class AdminServer: Service, Sendable {
    public let configuration: AdminConfiguration
    private let routes: AdminRoutes
    private let logger: Logger
    private let group: any EventLoopGroup
    private let address: EventLoopPromise<SocketAddress>

    /// - Parameters:
    ///   - registry: what `/metrics` shows.
    ///   - readiness: what is not ready, empty when all is (e.g. `["draining"]`); it
    ///     may suspend, never on an event loop.
    public init(
        configuration: AdminConfiguration,
        registry: PrometheusCollectorRegistry,
        readiness: @escaping @Sendable () async -> [String],
        logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.routes = AdminRoutes(registry: registry, readiness: readiness)
        self.logger = logger
        self.group = group
        self.address = group.next().makePromise(of: SocketAddress.self)
    }

    /// The address the listener is bound to, once it is (useful with port 0).
    public var listeningAddress: SocketAddress {
        get async throws { try await address.futureResult.get() }
    }

    public func run() async throws {
        let routes = self.routes
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 16)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(AdminHTTPHandler(routes: routes))
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            address.fail(error)
            throw error
        }
        address.succeed(channel.localAddress!)
        logger.info("admin listening", metadata: ["address": "\(channel.localAddress!)"])
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}
