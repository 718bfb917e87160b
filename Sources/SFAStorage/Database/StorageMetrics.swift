import CoreMetrics
import Metrics

/// Storage's series in swift-metrics (no tenant ids as labels: per-tenant figures
/// are in `GetTenantStats`):
///
/// - `sfa_tenant_databases_open`: tenant files open now;
/// - `sfa_tenant_database_evictions_total`: files closed because the LRU was full;
/// - `sfa_control_plane_write_duration_seconds`, `sfa_tenant_write_duration_seconds`:
///   histograms of write transactions, from asking for the writer to the commit.
struct StorageMetrics: Sendable {
    let openDatabases: Meter
    let evictions: Counter
    let controlPlaneWrites: Timer
    let tenantWrites: Timer

    init(factory: any MetricsFactory) {
        openDatabases = Meter(label: "sfa_tenant_databases_open", dimensions: [], factory: factory)
        evictions = Counter(label: "sfa_tenant_database_evictions_total", dimensions: [], factory: factory)
        controlPlaneWrites = Timer(label: "sfa_control_plane_write_duration_seconds", dimensions: [], factory: factory)
        tenantWrites = Timer(label: "sfa_tenant_write_duration_seconds", dimensions: [], factory: factory)
    }
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
