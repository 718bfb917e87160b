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
///   behind): what a cold tenant's first call waits for;
/// - `sfa_tenant_group_commit_calls`: histogram of the writes each group-commit
///   transaction holds: near 1 under light load, growing with concurrent writes.
public struct StorageMetrics: Sendable {
    let openDatabases: Meter
    let evictions: Counter
    let controlPlaneWrites: Timer
    let tenantWrites: Timer
    let tenantOpens: Timer
    let groupCommitCalls: Recorder

    init(factory: any MetricsFactory) {
        openDatabases = Meter(label: "sfa_tenant_databases_open", dimensions: [], factory: factory)
        evictions = Counter(label: "sfa_tenant_database_evictions_total", dimensions: [], factory: factory)
        controlPlaneWrites = Timer(label: "sfa_control_plane_write_duration_seconds", dimensions: [], factory: factory)
        tenantWrites = Timer(label: "sfa_tenant_write_duration_seconds", dimensions: [], factory: factory)
        tenantOpens = Timer(label: Self.tenantOpenLabel, dimensions: [], factory: factory)
        groupCommitCalls = Recorder(label: Self.groupCommitCallsLabel, dimensions: [], aggregate: true, factory: factory)
    }

    private static let tenantOpenLabel = "sfa_tenant_database_open_duration_seconds"
    private static let groupCommitCallsLabel = "sfa_tenant_group_commit_calls"

    /// Histogram buckets for the series whose values a metrics backend's defaults do
    /// not fit, by label: a tenant file opens in about a millisecond (defaults start
    /// at several), and a group commit holds 1 to 256 writes. sfad gives them to its
    /// Prometheus factory.
    public static let durationBuckets: [String: [Duration]] = [
        tenantOpenLabel: [500, 1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000].map { Duration.microseconds($0) }
    ]
    public static let valueBuckets: [String: [Double]] = [
        groupCommitCallsLabel: [1, 2, 4, 8, 16, 32, 64, 128, 256]
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
