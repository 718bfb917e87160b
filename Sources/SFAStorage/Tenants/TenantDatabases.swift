import Foundation
public import GRDB
public import Logging

/// The open tenant databases: one `DatabaseQueue` per tenant file (GRDB: connect to
/// a file only once), at most `maximumOpenTenantDatabases` kept open, the least
/// recently used idle one closed (after a WAL checkpoint) when another must open.
///
/// Callers lease a database for the length of a closure, so a database in use is
/// never closed under them; while every open database is leased the cache may
/// exceed its bound by the number of concurrent leases.
public actor TenantDatabases {
    private struct Entry {
        var queue: DatabaseQueue
        var leases = 0
        var lastUse: UInt64
    }

    private let storage: StorageConfiguration
    private let logger: Logger
    private var open: [String: Entry] = [:]
    private var opening: [String: Task<DatabaseQueue, any Error>] = [:]
    /// Tenants whose file is being replaced (restore, delete): no new leases.
    private var blocked: Set<String> = []
    private var clock: UInt64 = 0

    public init(storage: StorageConfiguration, logger: Logger) throws {
        self.storage = storage
        self.logger = logger
        try DatabaseOpening.createDirectory(storage.tenantsDirectory)
    }

    /// Open databases right now.
    public var openCount: Int { open.count }

    public nonisolated var capacity: Int { storage.maximumOpenTenantDatabases }

    /// The file of a tenant. Only ids that pass `RecordID.isValid` become paths.
    /// - Throws: `StorageError.notFound` for any other string.
    nonisolated func path(of tenantID: String) throws -> String {
        guard RecordID.isValid(tenantID, prefix: "ten") else { throw StorageError.notFound(kind: "tenant", id: tenantID) }
        return storage.tenantsDirectory + "/" + tenantID + ".sqlite"
    }

    /// Runs `body` with the tenant's database, opening (and migrating) it if needed.
    public func withDatabase<T: Sendable>(
        _ tenantID: String,
        _ body: @Sendable (DatabaseQueue) async throws -> T
    ) async throws -> T {
        let queue = try await lease(tenantID)
        defer { release(tenantID) }
        return try await body(queue)
    }

    private func lease(_ tenantID: String) async throws -> DatabaseQueue {
        guard !blocked.contains(tenantID) else {
            throw StorageError.failedPrecondition(reason: "TENANT_BUSY", message: "the tenant database is being replaced")
        }
        clock += 1
        if open[tenantID] != nil {
            open[tenantID]!.leases += 1
            open[tenantID]!.lastUse = clock
            return open[tenantID]!.queue
        }
        let task: Task<DatabaseQueue, any Error>
        if let pending = opening[tenantID] {
            task = pending
        } else {
            let path = try path(of: tenantID)
            let storage = self.storage
            task = Task { try Self.openAndMigrate(path: path, tenantID: tenantID, storage: storage) }
            opening[tenantID] = task
        }
        let queue: DatabaseQueue
        do {
            queue = try await task.value
        } catch {
            if opening[tenantID] == task { opening[tenantID] = nil }
            throw error
        }
        if opening[tenantID] == task { opening[tenantID] = nil }
        // The file may have been claimed for a restore or delete while it opened:
        // this connection must be neither used nor cached.
        guard !blocked.contains(tenantID) else {
            if open[tenantID]?.queue !== queue { try? queue.close() }
            throw StorageError.failedPrecondition(reason: "TENANT_BUSY", message: "the tenant database is being replaced")
        }
        if open[tenantID] == nil {
            open[tenantID] = Entry(queue: queue, lastUse: clock)
        }
        open[tenantID]!.leases += 1
        evictIdleBeyondCapacity()
        return open[tenantID]!.queue
    }

    private func release(_ tenantID: String) {
        open[tenantID]?.leases -= 1
        evictIdleBeyondCapacity()
    }

    private func evictIdleBeyondCapacity() {
        while open.count > storage.maximumOpenTenantDatabases {
            guard let victim = open.filter({ $0.value.leases == 0 }).min(by: { $0.value.lastUse < $1.value.lastUse })
            else { return }
            open[victim.key] = nil
            close(victim.value.queue, tenantID: victim.key)
        }
    }

    private func close(_ queue: DatabaseQueue, tenantID: String) {
        do {
            try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            try queue.close()
        } catch {
            logger.warning("closing a tenant database failed", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
        }
    }

    private static func openAndMigrate(path: String, tenantID: String, storage: StorageConfiguration) throws -> DatabaseQueue {
        let queue = try DatabaseOpening.open(path: path, storage: storage)
        do {
            _ = try queue.read { db in try TenantSchema.version(of: db, tenantID: tenantID) }
            try TenantSchema.migrator.migrate(queue)
        } catch {
            try? queue.close()
            throw error
        }
        return queue
    }

    // MARK: Replacing and removing files

    /// Closes the tenant's database (waiting up to 5 s for leases to end), blocks new
    /// leases, runs `body` with the file path, then unblocks.
    public func withExclusiveFile<T: Sendable>(
        _ tenantID: String,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let path = try path(of: tenantID)
        guard blocked.insert(tenantID).inserted else {
            throw StorageError.failedPrecondition(reason: "TENANT_BUSY", message: "the tenant database is being replaced")
        }
        defer { blocked.remove(tenantID) }
        let deadline = ContinuousClock.now + .seconds(5)
        while (open[tenantID]?.leases ?? 0) > 0 || opening[tenantID] != nil {
            guard ContinuousClock.now < deadline else {
                throw StorageError.failedPrecondition(reason: "TENANT_BUSY", message: "the tenant database stayed in use")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        if let entry = open.removeValue(forKey: tenantID) {
            close(entry.queue, tenantID: tenantID)
        }
        return try await body(path)
    }

    /// Removes a tenant's database files.
    public func deleteFiles(_ tenantID: String) async throws {
        try await withExclusiveFile(tenantID) { path in
            for suffix in ["", "-wal", "-shm", ".restoring"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.removeItem(atPath: path + suffix)
            }
        }
    }

    /// The schema version of a tenant database without migrating it: nil when the
    /// file does not exist yet.
    public func schemaVersion(_ tenantID: String) async throws -> Int32? {
        let path = try path(of: tenantID)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        if let entry = open[tenantID] {
            return try await entry.queue.read { db in try TenantSchema.version(of: db, tenantID: tenantID) }
        }
        var configuration = DatabaseOpening.configuration(storage)
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try await queue.read { db in try TenantSchema.version(of: db, tenantID: tenantID) }
    }
}
