public import CoreMetrics
public import Logging
public import NIOCore
public import SFARPC
public import SFATransport

/// Where and how the server listens. Every field has a default; `sfad` fills them
/// from flags, environment variables and a config file (docs/operations.md).
public struct ServerConfiguration: Sendable {
    /// The address to bind: loopback by default.
    public var host: String
    /// The TCP port; 0 lets the system choose (see `RPCServer.listeningAddress`).
    public var port: Int
    /// Connections open at once; past it a new connection gets GOAWAY and is closed.
    public var maximumConnections: Int
    /// Limits and timeouts of each connection.
    public var connection: ConnectionLimits
    /// How long calls in flight may take to finish after shutdown begins; then they
    /// are cancelled and the connections closed.
    public var drainGracePeriod: TimeAmount
    /// Makes the server's metrics (``ServerMetrics``). Injected rather than taken from
    /// the process-wide `MetricsSystem` so that each server (each test's, too) can
    /// have a registry of its own; the default is the bootstrapped one.
    public var metricsFactory: any MetricsFactory
    /// The level of the one log line each call gets (``CallLogger``); server faults
    /// are logged at `warning` at least.
    public var callLogLevel: Logger.Level
    /// Default per-tenant and per-key call limits, which tenants' overrides replace.
    public var callLimits: CallLimiterConfiguration
    /// TLS on the listener, reloadable; `nil` for plaintext.
    public var tls: ServerTLS?

    public init(
        host: String = "127.0.0.1",
        port: Int = 7411,
        maximumConnections: Int = 4096,
        connection: ConnectionLimits = ConnectionLimits(),
        drainGracePeriod: TimeAmount = .seconds(10),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        callLogLevel: Logger.Level = .debug,
        callLimits: CallLimiterConfiguration = CallLimiterConfiguration(),
        tls: ServerTLS? = nil
    ) {
        self.host = host
        self.port = port
        self.maximumConnections = maximumConnections
        self.connection = connection
        self.drainGracePeriod = drainGracePeriod
        self.metricsFactory = metricsFactory
        self.callLogLevel = callLogLevel
        self.callLimits = callLimits
        self.tls = tls
    }
}
