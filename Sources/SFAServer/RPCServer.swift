public import Logging
public import NIOCore
public import NIOPosix
public import SFARPC
import SFAStubs
public import SFATransport
public import ServiceLifecycle

/// The SalesWire server: listens on TCP, serves the given services (plus health and
/// reflection) over the framed protocol, and shuts down gracefully.
///
/// Run it in a `ServiceGroup` (or call ``run()`` directly): on graceful shutdown or
/// task cancellation it stops accepting connections, reports NOT_SERVING, sends
/// GOAWAY on every connection, lets calls in flight finish within the grace period,
/// then closes.
public final class RPCServer: Service, Sendable {
    public let configuration: ServerConfiguration
    /// Serving or draining; read by the health service.
    public let servingState = ServingState()
    /// Calls by method and status, with latencies (recorded when the default
    /// observers are used).
    public let statistics = CallStatistics()
    /// The server's series in the configuration's metrics factory.
    public let metrics: ServerMetrics

    /// The pipeline every call goes through (gate, limits, handlers, observers),
    /// shared with the gRPC endpoint (SFAGRPC) so both transports serve the same.
    public let dispatcher: RPCDispatcher
    private let logger: Logger
    private let group: any EventLoopGroup
    private let registry: ConnectionRegistry
    private let address: EventLoopPromise<SocketAddress>

    /// - Parameters:
    ///   - services: the services to host; `HealthService` and `ReflectionService` are added.
    ///   - gate: authenticates and authorizes every call before dispatch; `nil` admits all.
    ///   - interceptors: run around every admitted call, first outermost.
    ///   - observers: told of every call and refused frame. Defaults to `statistics`,
    ///     a ``CallLogger`` at the configured level, and `metrics`.
    public init(
        configuration: ServerConfiguration,
        services: [any RPCService],
        gate: (any CallGate)? = nil,
        interceptors: [any ServerInterceptor] = [],
        observers: [any CallObserver]? = nil,
        logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.logger = logger
        self.group = group
        self.address = group.next().makePromise(of: SocketAddress.self)
        let metrics = ServerMetrics(factory: configuration.metricsFactory)
        self.metrics = metrics
        self.registry = ConnectionRegistry(metrics: metrics)
        let servingState = self.servingState
        let hosted = services.flatMap { $0.methodHandlers.map(\.method) }
        let builtIn: [any RPCService] = [
            HealthService(servingState: servingState, hostedMethods: hosted + HealthServiceMethods.all),
            ReflectionService(hostedMethods: hosted + HealthServiceMethods.all + ReflectionServiceMethods.all, gate: gate),
        ]
        self.dispatcher = RPCDispatcher(
            services: services + builtIn,
            gate: gate,
            limiter: CallLimiter(configuration: configuration.callLimits),
            interceptors: interceptors,
            observers: observers ?? [statistics, CallLogger(logger: logger, level: configuration.callLogLevel), metrics],
            logger: logger
        )
    }

    /// Why the server should not be sent new calls now: `draining`, or `not listening`
    /// before the listener is bound; empty when it is ready (`/readyz`).
    public var readinessProblems: [String] {
        if servingState.isDraining { return ["draining"] }
        return servingState.isListening ? [] : ["not listening"]
    }

    /// Connections open right now.
    public var openConnections: Int { registry.count }

    /// The address the server listens on, once it does (useful with port 0).
    /// - Throws: if binding failed.
    public var listeningAddress: SocketAddress {
        get async throws { try await address.futureResult.get() }
    }

    public func run() async throws {
        let serverChannel: any Channel
        do {
            serverChannel = try await bind()
        } catch {
            address.fail(error)
            throw error
        }
        address.succeed(serverChannel.localAddress!)
        servingState.beginListening()
        var metadata: Logger.Metadata = ["address": "\(serverChannel.localAddress!)", "tls": configuration.tls == nil ? "off" : "on"]
        if let tls = configuration.tls { metadata["client_certificates"] = "\(tls.configuration.clientCertificates.rawValue)" }
        logger.info("listening", metadata: metadata)
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await serverChannel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            self.beginShutdown(serverChannel)
        }
        for channel in registry.all {
            try? await channel.closeFuture.get()
        }
        logger.info("stopped")
    }

    private func bind() async throws -> any Channel {
        let dispatcher = self.dispatcher
        let limits = configuration.connection
        let maximumConnections = configuration.maximumConnections
        let registry = self.registry
        let logger = self.logger
        let tls = configuration.tls
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                if let refusal = registry.add(channel, limit: maximumConnections) {
                    let reason = refusal == .draining ? "server shutting down" : "too many connections"
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RefusingConnectionHandler(reason: reason))
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(tls.makeHandler())
                        try channel.pipeline.syncOperations.addHandler(
                            TLSHandshakeTimeoutHandler(timeout: tls.configuration.handshakeTimeout)
                        )
                        if tls.configuration.clientCertificates != .off {
                            try channel.pipeline.syncOperations.addHandler(ClientCertificateReader())
                        }
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        IdleStateHandler(readTimeout: limits.idleTimeout),
                        ByteToMessageHandler(FrameDecoder(maximumFrameSize: limits.maximumFrameSize)),
                        ServerConnectionHandler(dispatcher: dispatcher, limits: limits, logger: logger)
                    )
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
    }

    private func beginShutdown(_ serverChannel: any Channel) {
        logger.info("draining", metadata: ["connections": "\(registry.count)"])
        servingState.beginDraining()
        serverChannel.close(promise: nil)
        for channel in registry.beginDraining() {
            channel.pipeline.fireUserInboundEventTriggered(ServerDrainEvent())
        }
        let registry = self.registry
        group.next().scheduleTask(in: configuration.drainGracePeriod) {
            for channel in registry.all { channel.close(promise: nil) }
        }
    }
}
