public import CoreMetrics
import Foundation

/// Where and how SalesWire keeps its data.
public struct StorageConfiguration: Sendable {
    /// How much an acknowledged write is protected.
    public enum Durability: Sendable {
        /// `synchronous = FULL`: the WAL is synced at every commit, so an acknowledged
        /// write survives a crash of the process and a power loss or OS crash.
        case powerLoss
        /// `synchronous = NORMAL`: an acknowledged write survives a crash of the
        /// process; a power loss or OS crash may lose the last commits (never corrupts).
        case processCrash
    }

    /// The data directory: `control.sqlite`, `tenants/`, `backups/`, `exports/`.
    public var dataDirectory: String
    /// Tenant databases kept open at once (least recently used ones are closed).
    public var maximumOpenTenantDatabases: Int
    /// How long a writer waits for a lock before giving up with BUSY.
    public var busyTimeout: Duration
    public var durability: Durability
    /// Read-only connections kept per open tenant database, opened on demand. Reads
    /// run synchronously on the calling thread and never suspend, so as many as there
    /// are threads running them (the cooperative pool: one per core) suffice; each
    /// costs two file descriptors, so the default is capped at 4 (an open file then
    /// holds at most 5 + 2 × 4 = 13). A read finding all of them busy opens a transient one.
    public var maximumReadersPerTenant: Int
    /// Makes storage's metrics (open files, evictions, write latency); injected, like
    /// the server's, so a test's storage can have a registry of its own.
    public var metricsFactory: any MetricsFactory

    public init(
        dataDirectory: String = "sfa-data",
        maximumOpenTenantDatabases: Int = 64,
        busyTimeout: Duration = .seconds(5),
        durability: Durability = .powerLoss,
        maximumReadersPerTenant: Int = StorageConfiguration.defaultReadersPerTenant,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.metricsFactory = metricsFactory
        self.dataDirectory = dataDirectory
        self.maximumReadersPerTenant = max(1, maximumReadersPerTenant)
        self.maximumOpenTenantDatabases = max(1, maximumOpenTenantDatabases)
        self.busyTimeout = busyTimeout
        self.durability = durability
    }

    /// The default reader count: the cores this process may run on, at most 4.
    public static var defaultReadersPerTenant: Int { min(4, ProcessInfo.processInfo.activeProcessorCount) }

    public var controlPlanePath: String { dataDirectory + "/control.sqlite" }
    public var tenantsDirectory: String { dataDirectory + "/tenants" }
    public var backupsDirectory: String { dataDirectory + "/backups" }
    public var exportsDirectory: String { dataDirectory + "/exports" }
}
