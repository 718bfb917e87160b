import CoreMetrics
import Foundation
import Logging
import NIOCore
import SFARPC
import SFAServer
import SFAStorage
import SFATransport

/// The server's settings, resolved from (highest first) command-line flags,
/// environment variables (`SFAD_*`), a JSON config file, and built-in defaults.
/// docs/operations.md lists every setting.
struct Settings: Codable, Equatable {
    var host: String?
    var port: Int?
    var maximumConnections: Int?
    var maximumConcurrentCalls: Int?
    var maximumFrameSize: Int?
    var idleTimeoutSeconds: Int?
    var slowFrameTimeoutSeconds: Int?
    var drainGraceSeconds: Int?
    var logLevel: String?
    var dataDirectory: String?
    var maximumOpenTenantDatabases: Int?
    /// `full` (survives power loss) or `normal` (survives a process crash).
    var durability: String?
    /// `process` (sfad alone opens tenant files while it has them open) or `shared`
    /// (Litestream reads them meanwhile).
    var tenantFileLocking: String?
    /// `text` or `json`.
    var logFormat: String?
    /// The level of each call's log line.
    var callLogLevel: String?
    /// `host:port` of the admin HTTP listener (`/metrics`, `/healthz`, `/readyz`); off when unset.
    var adminAddress: String?
    /// Allows the admin listener on an address other than loopback.
    var adminPublic: Bool?
    /// Default call limits, under tenants' overrides; 0 = no limit.
    var tenantCallsPerSecond: Int?
    var tenantConcurrentCalls: Int?
    var keyCallsPerSecond: Int?
    var keyConcurrentCalls: Int?
    /// TLS on the RPC listener (Settings+TLS.swift): PEM files, and client certificates
    /// `off`, `optional` or `required`.
    var tlsCertificateFile: String?
    var tlsKeyFile: String?
    var tlsClientCertificates: String?
    var tlsClientCAFile: String?
    /// Allows plaintext on an address other than loopback.
    var allowPlaintext: Bool?
    /// `postgres://…` for a control plane shared by a cluster's nodes; unset: `control.sqlite`.
    var controlPlane: String?
    /// This node's id in a cluster (docs/scaling.md); unset: one node serving every tenant.
    var nodeID: String?
    /// `host:port` clients reach this node at, named in redirects; default host:port.
    var advertiseAddress: String?
    /// Where tenants moving between nodes are handed over; default `<data dir>/handoff`.
    var handoffDirectory: String?

    /// The environment variable of each numeric setting (key paths are immutable values).
    nonisolated(unsafe) static let environmentNames: [(name: String, keyPath: WritableKeyPath<Settings, Int?>)] = [
        ("SFAD_PORT", \.port),
        ("SFAD_MAX_CONNECTIONS", \.maximumConnections),
        ("SFAD_MAX_CALLS_PER_CONNECTION", \.maximumConcurrentCalls),
        ("SFAD_MAX_FRAME_BYTES", \.maximumFrameSize),
        ("SFAD_IDLE_TIMEOUT_SECONDS", \.idleTimeoutSeconds),
        ("SFAD_SLOW_FRAME_TIMEOUT_SECONDS", \.slowFrameTimeoutSeconds),
        ("SFAD_DRAIN_GRACE_SECONDS", \.drainGraceSeconds),
        ("SFAD_MAX_OPEN_TENANT_DATABASES", \.maximumOpenTenantDatabases),
        ("SFAD_TENANT_CALLS_PER_SECOND", \.tenantCallsPerSecond),
        ("SFAD_TENANT_CONCURRENT_CALLS", \.tenantConcurrentCalls),
        ("SFAD_KEY_CALLS_PER_SECOND", \.keyCallsPerSecond),
        ("SFAD_KEY_CONCURRENT_CALLS", \.keyConcurrentCalls),
    ]

    /// Settings read from `SFAD_*` variables.
    /// - Throws: `ValidationError` for a number that does not parse.
    static func fromEnvironment(_ environment: [String: String]) throws -> Settings {
        var settings = Settings()
        settings.host = environment["SFAD_HOST"]
        settings.logLevel = environment["SFAD_LOG_LEVEL"]
        settings.dataDirectory = environment["SFAD_DATA_DIR"]
        settings.durability = environment["SFAD_DURABILITY"]
        settings.tenantFileLocking = environment["SFAD_TENANT_FILE_LOCKING"]
        settings.logFormat = environment["SFAD_LOG_FORMAT"]
        settings.callLogLevel = environment["SFAD_CALL_LOG_LEVEL"]
        settings.adminAddress = environment["SFAD_ADMIN_ADDRESS"]
        settings.adminPublic = try boolean("SFAD_ADMIN_PUBLIC", in: environment)
        settings.tlsCertificateFile = environment["SFAD_TLS_CERT"]
        settings.tlsKeyFile = environment["SFAD_TLS_KEY"]
        settings.tlsClientCertificates = environment["SFAD_TLS_CLIENT_CERTS"]
        settings.tlsClientCAFile = environment["SFAD_TLS_CLIENT_CA"]
        settings.allowPlaintext = try boolean("SFAD_ALLOW_PLAINTEXT", in: environment)
        settings.controlPlane = environment["SFAD_CONTROL_PLANE"]
        settings.nodeID = environment["SFAD_NODE_ID"]
        settings.advertiseAddress = environment["SFAD_ADVERTISE_ADDRESS"]
        settings.handoffDirectory = environment["SFAD_HANDOFF_DIR"]
        for (name, keyPath) in environmentNames {
            guard let text = environment[name] else { continue }
            guard let value = Int(text) else { throw SettingsError("\(name)=\(text) is not a whole number") }
            settings[keyPath: keyPath] = value
        }
        return settings
    }

    /// The variable `name` as a boolean; `nil` when unset.
    private static func boolean(_ name: String, in environment: [String: String]) throws -> Bool? {
        guard let text = environment[name] else { return nil }
        guard let value = ["true": true, "1": true, "false": false, "0": false][text] else {
            throw SettingsError("\(name)=\(text) is neither true nor false")
        }
        return value
    }

    /// Settings read from a JSON file with the same keys as this type.
    /// - Throws: `SettingsError` for a file that does not parse, a value of the wrong
    ///   type, or a key that is not a setting (a misspelt key would otherwise be
    ///   ignored silently, and its setting left at the default).
    static func fromFile(_ path: String) throws -> Settings {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SettingsError("cannot read config file \(path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SettingsError("config file \(path) is not a JSON object")
        }
        let unknown = Set(object.keys).subtracting(keys).sorted()
        guard unknown.isEmpty else {
            throw SettingsError(
                "config file \(path): unknown key\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); "
                    + "the keys are \(keys.sorted().joined(separator: ", "))"
            )
        }
        do {
            return try JSONDecoder().decode(Settings.self, from: data)
        } catch {
            throw SettingsError("config file \(path): \(error)")
        }
    }

    /// Every key a config file may hold: the stored properties, read off the type
    /// itself so that a new setting is accepted without a list to update.
    static var keys: Set<String> { Set(Mirror(reflecting: Settings()).children.compactMap(\.label)) }

    /// `self`, with every unset setting taken from `fallback`.
    func overriding(_ fallback: Settings) -> Settings {
        Settings(
            host: host ?? fallback.host,
            port: port ?? fallback.port,
            maximumConnections: maximumConnections ?? fallback.maximumConnections,
            maximumConcurrentCalls: maximumConcurrentCalls ?? fallback.maximumConcurrentCalls,
            maximumFrameSize: maximumFrameSize ?? fallback.maximumFrameSize,
            idleTimeoutSeconds: idleTimeoutSeconds ?? fallback.idleTimeoutSeconds,
            slowFrameTimeoutSeconds: slowFrameTimeoutSeconds ?? fallback.slowFrameTimeoutSeconds,
            drainGraceSeconds: drainGraceSeconds ?? fallback.drainGraceSeconds,
            logLevel: logLevel ?? fallback.logLevel,
            dataDirectory: dataDirectory ?? fallback.dataDirectory,
            maximumOpenTenantDatabases: maximumOpenTenantDatabases ?? fallback.maximumOpenTenantDatabases,
            durability: durability ?? fallback.durability,
            tenantFileLocking: tenantFileLocking ?? fallback.tenantFileLocking,
            logFormat: logFormat ?? fallback.logFormat,
            callLogLevel: callLogLevel ?? fallback.callLogLevel,
            adminAddress: adminAddress ?? fallback.adminAddress,
            adminPublic: adminPublic ?? fallback.adminPublic,
            tenantCallsPerSecond: tenantCallsPerSecond ?? fallback.tenantCallsPerSecond,
            tenantConcurrentCalls: tenantConcurrentCalls ?? fallback.tenantConcurrentCalls,
            keyCallsPerSecond: keyCallsPerSecond ?? fallback.keyCallsPerSecond,
            keyConcurrentCalls: keyConcurrentCalls ?? fallback.keyConcurrentCalls,
            tlsCertificateFile: tlsCertificateFile ?? fallback.tlsCertificateFile,
            tlsKeyFile: tlsKeyFile ?? fallback.tlsKeyFile,
            tlsClientCertificates: tlsClientCertificates ?? fallback.tlsClientCertificates,
            tlsClientCAFile: tlsClientCAFile ?? fallback.tlsClientCAFile,
            allowPlaintext: allowPlaintext ?? fallback.allowPlaintext,
            controlPlane: controlPlane ?? fallback.controlPlane,
            nodeID: nodeID ?? fallback.nodeID,
            advertiseAddress: advertiseAddress ?? fallback.advertiseAddress,
            handoffDirectory: handoffDirectory ?? fallback.handoffDirectory
        )
    }

    /// The server configuration, defaults filled in.
    /// - Throws: `SettingsError` for values out of range.
    func serverConfiguration(metricsFactory: any MetricsFactory, tls: ServerTLS? = nil) throws -> ServerConfiguration {
        let defaults = ServerConfiguration()
        let limits = defaults.connection
        func positive(_ value: Int?, _ name: String, _ fallback: Int) throws -> Int {
            guard let value else { return fallback }
            guard value > 0 else { throw SettingsError("\(name) must be greater than 0, not \(value)") }
            return value
        }
        func limit(_ value: Int?, _ name: String, _ fallback: UInt32) throws -> UInt32 {
            guard let value else { return fallback }
            guard let limit = UInt32(exactly: value) else { throw SettingsError("\(name) must be 0 (no limit) to 4294967295, not \(value)") }
            return limit
        }
        if let port, !(0...65535).contains(port) { throw SettingsError("port \(port) is not a TCP port") }
        let callLimits = defaults.callLimits
        return ServerConfiguration(
            host: host ?? defaults.host,
            port: port ?? defaults.port,
            maximumConnections: try positive(maximumConnections, "maximumConnections", defaults.maximumConnections),
            connection: ConnectionLimits(
                maximumFrameSize: try positive(maximumFrameSize, "maximumFrameSize", limits.maximumFrameSize),
                maximumConcurrentCalls: try positive(maximumConcurrentCalls, "maximumConcurrentCalls", limits.maximumConcurrentCalls),
                idleTimeout: idleTimeoutSeconds.map { .seconds(Int64($0)) } ?? limits.idleTimeout,
                slowFrameTimeout: slowFrameTimeoutSeconds.map { .seconds(Int64($0)) } ?? limits.slowFrameTimeout
            ),
            drainGracePeriod: drainGraceSeconds.map { .seconds(Int64($0)) } ?? defaults.drainGracePeriod,
            metricsFactory: metricsFactory,
            callLogLevel: try Self.level(callLogLevel, default: defaults.callLogLevel),
            callLimits: CallLimiterConfiguration(
                tenantCallsPerSecond: try limit(tenantCallsPerSecond, "tenantCallsPerSecond", callLimits.tenantCallsPerSecond),
                tenantConcurrentCalls: try limit(tenantConcurrentCalls, "tenantConcurrentCalls", callLimits.tenantConcurrentCalls),
                keyCallsPerSecond: try limit(keyCallsPerSecond, "keyCallsPerSecond", callLimits.keyCallsPerSecond),
                keyConcurrentCalls: try limit(keyConcurrentCalls, "keyConcurrentCalls", callLimits.keyConcurrentCalls)
            ),
            tls: tls
        )
    }

    /// The admin listener's address, or `nil` when it is off.
    /// - Throws: `SettingsError` for an address that does not parse, or one that is not
    ///   loopback without `adminPublic` (it has no TLS and no authentication).
    func adminConfiguration() throws -> AdminConfiguration? {
        guard let adminAddress else { return nil }
        guard let configuration = AdminConfiguration(address: adminAddress) else {
            throw SettingsError("admin address \(adminAddress) is not host:port")
        }
        guard configuration.isLoopback || adminPublic == true else {
            throw SettingsError(
                "admin address \(adminAddress) is not loopback: metrics and probes would be open to the network; "
                    + "give --admin-public (SFAD_ADMIN_PUBLIC=true) if only trusted peers reach it"
            )
        }
        return configuration
    }

    /// The log format; `text` unless set.
    func logLineFormat() throws -> LogFormat {
        guard let logFormat else { return .text }
        guard let format = LogFormat(rawValue: logFormat) else { throw SettingsError("log format \(logFormat) is neither text nor json") }
        return format
    }

    /// Where and how data is kept; `./sfa-data` unless set.
    func storageConfiguration(metricsFactory: any MetricsFactory) throws -> StorageConfiguration {
        let defaults = StorageConfiguration()
        let mode: StorageConfiguration.Durability
        switch durability ?? "full" {
        case "full": mode = .powerLoss
        case "normal": mode = .processCrash
        case let other: throw SettingsError("durability \(other) is neither full nor normal")
        }
        let locking: StorageConfiguration.TenantFileLocking
        switch tenantFileLocking ?? "process" {
        case "process": locking = .process
        case "shared": locking = .shared
        case let other: throw SettingsError("tenant file locking \(other) is neither process nor shared")
        }
        if let maximumOpenTenantDatabases, maximumOpenTenantDatabases <= 0 {
            throw SettingsError("maximumOpenTenantDatabases must be greater than 0")
        }
        return StorageConfiguration(
            dataDirectory: dataDirectory ?? defaults.dataDirectory,
            maximumOpenTenantDatabases: maximumOpenTenantDatabases ?? defaults.maximumOpenTenantDatabases,
            durability: mode,
            tenantFileLocking: locking,
            metricsFactory: metricsFactory
        )
    }

    /// The log level; `info` unless set.
    func loggerLevel() throws -> Logger.Level {
        try Self.level(logLevel, default: .info)
    }

    private static func level(_ name: String?, default fallback: Logger.Level) throws -> Logger.Level {
        guard let name else { return fallback }
        guard let level = Logger.Level(rawValue: name) else {
            throw SettingsError("log level \(name) is not one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }
}

/// A setting that cannot be used, with the reason.
struct SettingsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
