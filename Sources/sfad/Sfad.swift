import ArgumentParser
import CMallocTuning
import Foundation
import Logging
import Prometheus
import SFARPC
import SFAGRPC
import SFAServer
import SFAServices
import SFAStorage
import SFAStubs
import SFATransport
import ServiceLifecycle
import Synchronization

/// `sfad`, the SalesWire server.
@main
struct Sfad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfad",
        abstract: "The SalesWire server.",
        discussion: """
            Settings come from flags, then SFAD_* environment variables, then the JSON file \
            given with --config, then defaults (docs/operations.md). It listens on 127.0.0.1:7411 \
            by default and stops gracefully on SIGTERM or SIGINT: it sends GOAWAY to every \
            connection and lets calls in flight finish within the drain grace period.
            """,
        version: SalesWireVersion.current
    )

    @Option(help: "The address to listen on (env SFAD_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "The TCP port; 0 picks a free one (env SFAD_PORT; default 7411).")
    var port: Int?

    @Option(help: "A JSON file with settings (keys as in docs/operations.md).")
    var config: String?

    @Option(name: .customLong("max-connections"), help: "Connections open at once (env SFAD_MAX_CONNECTIONS; default 4096).")
    var maximumConnections: Int?

    @Option(
        name: .customLong("max-calls-per-connection"),
        help: "Calls in flight per connection (env SFAD_MAX_CALLS_PER_CONNECTION; default 1024)."
    )
    var maximumConcurrentCalls: Int?

    @Option(name: .customLong("max-frame-bytes"), help: "Largest frame accepted (env SFAD_MAX_FRAME_BYTES; default 4194304).")
    var maximumFrameSize: Int?

    @Option(name: .customLong("idle-timeout"), help: "Seconds before an idle connection is closed (env SFAD_IDLE_TIMEOUT_SECONDS; default 300).")
    var idleTimeoutSeconds: Int?

    @Option(name: .customLong("slow-frame-timeout"), help: "Seconds a started frame may take to arrive (env SFAD_SLOW_FRAME_TIMEOUT_SECONDS; default 30).")
    var slowFrameTimeoutSeconds: Int?

    @Option(name: .customLong("drain-grace"), help: "Seconds calls may take to finish on shutdown (env SFAD_DRAIN_GRACE_SECONDS; default 10).")
    var drainGraceSeconds: Int?

    @Option(name: .customLong("data-dir"), help: "The data directory (env SFAD_DATA_DIR; default ./sfa-data).")
    var dataDirectory: String?

    @Option(
        name: .customLong("max-open-tenant-databases"),
        help: "Tenant databases kept open at once (env SFAD_MAX_OPEN_TENANT_DATABASES; default: from the descriptor limit, at most 2048)."
    )
    var maximumOpenTenantDatabases: Int?

    @Option(help: "full: writes survive power loss; normal: writes survive a process crash (env SFAD_DURABILITY; default full).")
    var durability: String?

    @Option(
        name: .customLong("tenant-file-locking"),
        help: "process: only sfad opens tenant files while it has them open (cheaper opens); shared: Litestream may read them meanwhile (env SFAD_TENANT_FILE_LOCKING; default process)."
    )
    var tenantFileLocking: String?

    @Option(
        name: .customLong("tenant-calls-per-second"),
        help: "Default calls per second of one tenant's keys together; 0 for no limit (env SFAD_TENANT_CALLS_PER_SECOND; default 0)."
    )
    var tenantCallsPerSecond: Int?

    @Option(
        name: .customLong("tenant-concurrent-calls"),
        help: "Default calls of one tenant in flight at once; 0 for no limit (env SFAD_TENANT_CONCURRENT_CALLS; default 512)."
    )
    var tenantConcurrentCalls: Int?

    @Option(
        name: .customLong("key-calls-per-second"),
        help: "Default calls per second of one API key; 0 for no limit (env SFAD_KEY_CALLS_PER_SECOND; default 0)."
    )
    var keyCallsPerSecond: Int?

    @Option(
        name: .customLong("key-concurrent-calls"),
        help: "Default calls of one API key in flight at once; 0 for no limit (env SFAD_KEY_CONCURRENT_CALLS; default 128)."
    )
    var keyConcurrentCalls: Int?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve TLS 1.2+ (env SFAD_TLS_CERT; reread on SIGHUP).")
    var tlsCertificateFile: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert (env SFAD_TLS_KEY; reread on SIGHUP).")
    var tlsKeyFile: String?

    @Option(
        name: .customLong("tls-client-certs"),
        help: "Client certificates: off, optional or required (env SFAD_TLS_CLIENT_CERTS; default off)."
    )
    var tlsClientCertificates: String?

    @Option(name: .customLong("tls-client-ca"), help: "PEM CAs that sign client certificates (env SFAD_TLS_CLIENT_CA).")
    var tlsClientCAFile: String?

    @Flag(name: .customLong("allow-plaintext"), help: "Serve without TLS on a non-loopback address (env SFAD_ALLOW_PLAINTEXT).")
    var allowPlaintext = false

    @Flag(help: "Create a demo tenant with one user and API key per role (printed, and written to demo-keys.txt in the data directory).")
    var demo = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env SFAD_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json, one line per event (env SFAD_LOG_FORMAT; default text).")
    var logFormat: String?

    @Option(name: .customLong("call-log-level"), help: "The level of each call's log line (env SFAD_CALL_LOG_LEVEL; default debug).")
    var callLogLevel: String?

    @Option(
        name: .customLong("admin-address"),
        help: "host:port of the admin HTTP listener: /metrics, /healthz, /readyz (env SFAD_ADMIN_ADDRESS; default off)."
    )
    var adminAddress: String?

    @Flag(name: .customLong("admin-public"), help: "Allow the admin listener on a non-loopback address (env SFAD_ADMIN_PUBLIC).")
    var adminPublic = false

    @Option(
        name: .customLong("grpc-port"),
        help: "Also serve gRPC (HTTP/2, plaintext) on this TCP port of the same host; 0 picks a free one (env SFAD_GRPC_PORT; default off)."
    )
    var grpcPort: Int?

    @Option(
        name: .customLong("control-plane"),
        help: "postgres://user[:password]@host[:port]/database: a control plane shared by a cluster (env SFAD_CONTROL_PLANE; default control.sqlite)."
    )
    var controlPlane: String?

    @Option(name: .customLong("node-id"), help: "This node's id in a cluster; tenants are routed by placement (env SFAD_NODE_ID; default: one node).")
    var nodeID: String?

    @Option(
        name: .customLong("advertise-address"),
        help: "host:port clients reach this node at, named in redirects (env SFAD_ADVERTISE_ADDRESS; default host:port)."
    )
    var advertiseAddress: String?

    @Option(
        name: .customLong("handoff-dir"),
        help: "Where tenants moving between nodes are handed over, shared by the nodes (env SFAD_HANDOFF_DIR; required with --node-id)."
    )
    var handoffDirectory: String?

    func run() async throws {
        // A write to a standard output whose reader went away must fail, not kill the
        // server (sockets never raise it: NIO sends with MSG_NOSIGNAL).
        signal(SIGPIPE, SIG_IGN)
        // Large short-lived blocks (4 MiB frames, decoding arenas) get mappings of their
        // own, returned to the system when freed. Left to itself glibc raises this
        // threshold after the first such free and serves them from its heaps, which keep
        // the memory: RSS stayed at 248 MB, idle, after a run of 4 MB requests (issue 16).
        // SQLite's in-memory statement journals are allocated in chunks kept below it
        // (SQLiteProcessSettings.statementJournalSpillBytes).
        sfa_map_allocations_from(256 * 1024)
        // Tenant databases hold descriptors: take all the system allows before the
        // open-database bound is sized from it (docs/operations.md).
        let descriptors = DescriptorLimit.raiseToHardLimit()
        let flags = Settings(
            host: host,
            port: port,
            maximumConnections: maximumConnections,
            maximumConcurrentCalls: maximumConcurrentCalls,
            maximumFrameSize: maximumFrameSize,
            idleTimeoutSeconds: idleTimeoutSeconds,
            slowFrameTimeoutSeconds: slowFrameTimeoutSeconds,
            drainGraceSeconds: drainGraceSeconds,
            logLevel: logLevel,
            dataDirectory: dataDirectory,
            maximumOpenTenantDatabases: maximumOpenTenantDatabases,
            durability: durability,
            tenantFileLocking: tenantFileLocking,
            logFormat: logFormat,
            callLogLevel: callLogLevel,
            adminAddress: adminAddress,
            adminPublic: adminPublic ? true : nil,
            tenantCallsPerSecond: tenantCallsPerSecond,
            tenantConcurrentCalls: tenantConcurrentCalls,
            keyCallsPerSecond: keyCallsPerSecond,
            keyConcurrentCalls: keyConcurrentCalls,
            tlsCertificateFile: tlsCertificateFile,
            tlsKeyFile: tlsKeyFile,
            tlsClientCertificates: tlsClientCertificates,
            tlsClientCAFile: tlsClientCAFile,
            allowPlaintext: allowPlaintext ? true : nil,
            controlPlane: controlPlane,
            nodeID: nodeID,
            advertiseAddress: advertiseAddress,
            handoffDirectory: handoffDirectory
        )
        var settings = flags.overriding(try Settings.fromEnvironment(ProcessInfo.processInfo.environment))
        if let config { settings = settings.overriding(try Settings.fromFile(config)) }
        // One registry for everything /metrics shows, given to each part rather than
        // bootstrapped process-wide.
        var metrics = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        metrics.durationHistogramBuckets.merge(StorageHistogramBuckets.durations) { _, storage in storage }
        metrics.valueHistogramBuckets.merge(StorageHistogramBuckets.values) { _, storage in storage }
        let level = try settings.loggerLevel()
        let format = try settings.logLineFormat()
        let tls = try settings.serverTLS()
        let grpcListener = try grpcListenerPort(tls: tls)
        let serverConfiguration = try settings.serverConfiguration(metricsFactory: metrics, tls: tls)
        let adminConfiguration = try settings.adminConfiguration()
        let storage = try settings.storageConfiguration(metricsFactory: metrics)

        LoggingSystem.bootstrap { label in
            format.handler(label: label, level: level, stream: StandardErrorStream())
        }
        let logger = Logger(label: "sfad")
        if !SQLiteProcessSettings.areApplied {
            logger.warning(
                "SQLite had started before its settings were applied: its memory statistics stay on, and savepoint journals spill to files from 64 KiB"
            )
        }
        if storage.tenantFileLocking == .process, !SQLiteProcessSettings.acceptsURIFileNames {
            logger.warning("SQLite takes no URI file names here: tenant files are opened with shared locking")
        }
        let controlPlane = try settings.controlPlane(storage: storage, logger: logger)
        let clusterNode = try settings.clusterNode(serverConfiguration)
        // The store's connections and change notifications, until the server has drained.
        let controlPlaneRunning = Task { try await controlPlane.run() }
        defer { controlPlaneRunning.cancel() }
        try await controlPlane.migrate()
        let tenants = try TenantDatabases(storage: storage, logger: logger)
        for path in try IncompleteBackups.remove(storage: storage) {
            logger.notice("removed a backup that never completed", metadata: ["file": "\(path)"])
        }
        let router = clusterNode.map {
            TenantRouter(node: $0, controlPlane: controlPlane, tenants: tenants, logger: logger)
        }
        if let router { try await Self.claimNode(router, logger: logger) }
        // The node's lease, renewed while the server runs and released once it has drained.
        let leaseRenewal = Task { try await router?.lease.run() }
        defer { leaseRenewal.cancel() }
        logger.info(
            "tenant databases",
            metadata: ["open_bound": "\(storage.maximumOpenTenantDatabases)", "descriptor_limit": "\(descriptors)"]
        )
        try await CredentialAnnouncement(storage: storage, logger: logger)
            .announce(controlPlane: controlPlane, tenants: tenants, demo: demo)

        let serverReference = ServerReference()
        let gate = APIKeyGate(controlPlane: controlPlane, logger: logger, router: router)
        let server = RPCServer(
            configuration: serverConfiguration,
            services: SalesWireServices.all(controlPlane: controlPlane, tenants: tenants, storage: storage, logger: logger, router: router) {
                serverReference.snapshot()
            },
            gate: gate,
            logger: logger
        )
        serverReference.set(server)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let adminConfiguration {
            // First in the group, so stopped last: /readyz says 503 while the server drains.
            let admin = AdminServer(
                configuration: adminConfiguration,
                registry: metrics.registry,
                readiness: { await Readiness.problems(server: server, controlPlane: controlPlane, lease: router?.lease) },
                logger: logger
            )
            services.append(.init(service: admin))
        }
        services.append(.init(service: server))
        // The gRPC endpoint serves through the server's own dispatcher: the same gate,
        // limits, handlers and observers (docs/protocol.md, "gRPC endpoint").
        var grpc: GRPCEndpoint?
        if let port = grpcListener {
            grpc = GRPCEndpoint(
                configuration: GRPCEndpoint.Configuration(
                    host: serverConfiguration.host,
                    port: port,
                    maximumMessageSize: serverConfiguration.connection.maximumFrameSize,
                    maximumConcurrentStreams: serverConfiguration.connection.maximumConcurrentCalls,
                    requestSizes: serverConfiguration.connection.requestSizes,
                    idleTimeout: .nanoseconds(serverConfiguration.connection.idleTimeout.nanoseconds)
                ),
                dispatcher: server.dispatcher,
                methods: SFAServiceRegistry.allMethods,
                logger: logger
            )
            services.append(.init(service: grpc!))
        }
        services.append(.init(service: CertificateReloader(tls: tls, logger: logger)))
        // Last, so told first: systemd hears STOPPING as the drain begins.
        services.append(.init(service: Announcer(server: server, grpc: grpc, notifier: SystemdNotifier())))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            // A server that could not start (its port taken) or failed gives its node
            // id back at once as well, rather than hold it for the lease's length.
            leaseRenewal.cancel()
            await router?.lease.release()
            await gate.flushKeyUses()
            throw error
        }
        leaseRenewal.cancel()
        await router?.lease.release()
        // Calls have ended: the keys' last uses that wait for their batch are written.
        await gate.flushKeyUses()
    }
}

extension Sfad {
    /// `--grpc-port`, else `SFAD_GRPC_PORT`; nil when neither is set (no gRPC listener).
    /// The gRPC endpoint's port, or nil when it is not asked for.
    /// - Throws: `ValidationError` for a port out of range, or for the endpoint beside a
    ///   TLS listener: the endpoint speaks plaintext HTTP/2 only and checks no client
    ///   certificate, so beside TLS it would carry API keys in the clear and bypass
    ///   certificate-to-tenant bindings (docs/protocol.md, "gRPC endpoint").
    func grpcListenerPort(tls: ServerTLS?) throws -> Int? {
        let text = grpcPort.map(String.init) ?? ProcessInfo.processInfo.environment["SFAD_GRPC_PORT"]
        guard let text else { return nil }
        guard tls == nil else {
            throw ValidationError(
                "the gRPC endpoint speaks plaintext only: run it without --tls-cert, behind a TLS-terminating proxy"
            )
        }
        guard let port = Int(text), (0...65_535).contains(port) else {
            throw ValidationError("the gRPC port must be 0…65535, not \(text)")
        }
        return port
    }
}

/// The server, for the admin service's stats, which exist before the server does.
final class ServerReference: Sendable {
    private let server = Mutex<RPCServer?>(nil)

    func set(_ server: RPCServer) { self.server.withLock { $0 = server } }

    func snapshot() -> ServerSnapshot {
        guard let server = server.withLock({ $0 }) else {
            return ServerSnapshot(openConnections: 0, maximumConnections: 0, draining: false)
        }
        return ServerSnapshot(
            openConnections: server.openConnections,
            maximumConnections: server.configuration.maximumConnections,
            draining: server.servingState.isDraining,
            callsInFlight: server.statistics.callsInFlight,
            methods: server.statistics.snapshot(),
            callLimits: server.configuration.callLimits
        )
    }
}

