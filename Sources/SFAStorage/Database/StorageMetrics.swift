import CoreMetrics
import Metrics

/// Storage's series in swift-metrics (no tenant ids as labels: per-tenant figures
/// are in `GetTenantStats`):
///
/// - `sfa_tenant_databases_open`: tenant files open now;
/// - `sfa_tenant_database_evictions_total`: files closed because the LRU was full;
/// - `sfa_control_plane_write_duration_seconds`, `sfa_tenant_write_duration_seconds`:
///   histograms of write transactions, from asking for the writer to the commit;
/// - `sfa_tenant_database_open_duration_seconds`: histogram of tenant file opens, from
///   the first call that needs a closed file to the file ready (migrated if it was
///   behind) or the open failed: what a cold tenant's first call waits for;
/// - `sfa_tenant_group_commit_writes`: histogram of the writes each group-commit batch
///   takes from the queue: near 1 under light load, growing with concurrent writes.
struct StorageMetrics: Sendable {
    let openDatabases: Meter
    let evictions: Counter
    let controlPlaneWrites: Timer
    let tenantWrites: Timer
    let tenantOpens: Timer
    let groupCommitWrites: Recorder

    init(factory: any MetricsFactory) {
        openDatabases = Meter(label: "sfa_tenant_databases_open", dimensions: [], factory: factory)
        evictions = Counter(label: "sfa_tenant_database_evictions_total", dimensions: [], factory: factory)
        controlPlaneWrites = Timer(label: "sfa_control_plane_write_duration_seconds", dimensions: [], factory: factory)
        tenantWrites = Timer(label: "sfa_tenant_write_duration_seconds", dimensions: [], factory: factory)
        tenantOpens = Timer(label: StorageHistogramBuckets.tenantOpens, dimensions: [], factory: factory)
        groupCommitWrites = Recorder(label: StorageHistogramBuckets.groupCommitWrites, dimensions: [], aggregate: true, factory: factory)
    }
}

/// Histogram buckets for the storage series whose values a metrics backend's
/// defaults do not fit, by label: a tenant file opens in 1–2 ms (Prometheus's default
/// buckets start at 5), and a group-commit batch takes 1 to 256 writes. sfad gives
/// them to its Prometheus factory.
public enum StorageHistogramBuckets {
    static let tenantOpens = "sfa_tenant_database_open_duration_seconds"
    static let groupCommitWrites = "sfa_tenant_group_commit_writes"

    public static let durations: [String: [Duration]] = [
        tenantOpens: [500, 1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000].map { Duration.microseconds($0) }
    ]
    public static let values: [String: [Double]] = [
        groupCommitWrites: [1, 2, 4, 8, 16, 32, 64, 128, 256]
    ]
}

extension Timer {
    /// Runs `body` and records how long it took, whether it succeeded or threw.
    func time<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        return try await body()
    }
}
