import ArgumentParser
import Foundation
import Logging
import SFAServer
import ServiceLifecycle

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
            """
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

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env SFAD_LOG_LEVEL; default info).")
    var logLevel: String?

    func run() async throws {
        let flags = Settings(
            host: host,
            port: port,
            maximumConnections: maximumConnections,
            maximumConcurrentCalls: maximumConcurrentCalls,
            maximumFrameSize: maximumFrameSize,
            idleTimeoutSeconds: idleTimeoutSeconds,
            slowFrameTimeoutSeconds: slowFrameTimeoutSeconds,
            drainGraceSeconds: drainGraceSeconds,
            logLevel: logLevel
        )
        var settings = flags.overriding(try Settings.fromEnvironment(ProcessInfo.processInfo.environment))
        if let config { settings = settings.overriding(try Settings.fromFile(config)) }
        let level = try settings.loggerLevel()
        let serverConfiguration = try settings.serverConfiguration()

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sfad")
        let server = RPCServer(configuration: serverConfiguration, services: [], logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
