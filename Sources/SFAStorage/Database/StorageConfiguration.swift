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

    /// Who may open a tenant file while this process has it open.
    public enum TenantFileLocking: Sendable {
        /// This process alone. The first connection to a file takes an exclusive lock on
        /// it, held until the file's last connection closes, and the file's connections
        /// coordinate in this process's memory: their locks take no system call and the
        /// WAL index is kept in memory, not in a `-shm` file (SQLite's `unix-excl` file
        /// system). A cold open is a fifth cheaper in CPU and takes one descriptor
        /// less (docs/benchmarks.md). Another process opening an open tenant file, to
        /// read it too, gets SQLITE_BUSY.
        case process
        /// Any process, through SQLite's usual file locks and a shared-memory WAL
        /// index (`-shm`): for a replicator such as Litestream reading tenant files
        /// while sfad writes them (docs/scaling.md).
        case shared
    }

    /// The data directory: `control.sqlite`, `tenants/`, `backups/`, `exports/`.
    public var dataDirectory: String
    /// Tenant databases kept open at once (least recently used ones are closed);
    /// by default sized from the descriptor limit (``openDatabaseBound(descriptors:readersPerTenant:)``).
    public var maximumOpenTenantDatabases: Int
    /// How long a writer waits for a lock before giving up with BUSY.
    public var busyTimeout: Duration
    public var durability: Durability
    /// `.process` unless Litestream (or another process) reads tenant files while they
    /// are open here.
    public var tenantFileLocking: TenantFileLocking
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
        maximumOpenTenantDatabases: Int? = nil,
        busyTimeout: Duration = .seconds(5),
        durability: Durability = .powerLoss,
        tenantFileLocking: TenantFileLocking = .process,
        maximumReadersPerTenant: Int = StorageConfiguration.defaultReadersPerTenant,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        let maximumOpenTenantDatabases = maximumOpenTenantDatabases
            ?? Self.openDatabaseBound(descriptors: DescriptorLimit.current, readersPerTenant: max(1, maximumReadersPerTenant))
        self.metricsFactory = metricsFactory
        self.dataDirectory = SQLiteProcessSettings.literalPath(dataDirectory)
        self.maximumReadersPerTenant = max(1, maximumReadersPerTenant)
        self.maximumOpenTenantDatabases = max(1, maximumOpenTenantDatabases)
        self.busyTimeout = busyTimeout
        self.durability = durability
        self.tenantFileLocking = tenantFileLocking
    }

    /// The default bound on open tenant databases for a descriptor limit: what the
    /// descriptors left after a reserve (an eighth, at least 256: client connections,
    /// the control plane, backups, transient read connections) allow, each open
    /// database counted with its writer (db, -wal, and -shm with `.shared` locking:
    /// three either way) and every read connection it may have (db, -wal); at most `maximumOpenTenantDatabasesForMemory`, at least 16.
    /// A limit of 1,024 and two readers allow 109; 20,000 allow 2,500, capped at 2,048.
    public static func openDatabaseBound(descriptors: Int, readersPerTenant: Int) -> Int {
        let available = descriptors - max(256, descriptors / 8)
        let perDatabase = 3 + 2 * readersPerTenant
        return min(maximumOpenTenantDatabasesForMemory, max(16, available / perDatabase))
    }

    /// Open tenant databases at most, whatever the descriptors allow: each costs
    /// memory (its connections' parsed schema, statements and page caches: sfad's peak
    /// RSS was 1.4 GB with 2,000 small tenants open, docs/benchmarks.md), and the node
    /// is sized for 2 GB.
    public static let maximumOpenTenantDatabasesForMemory = 2048

    /// The default reader count: the cores this process may run on, at most 4.
    public static var defaultReadersPerTenant: Int { min(4, ProcessInfo.processInfo.activeProcessorCount) }

    public var controlPlanePath: String { dataDirectory + "/control.sqlite" }
    public var tenantsDirectory: String { dataDirectory + "/tenants" }
    public var backupsDirectory: String { dataDirectory + "/backups" }
    public var exportsDirectory: String { dataDirectory + "/exports" }
}
