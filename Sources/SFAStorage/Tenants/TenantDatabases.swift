import Foundation
public import GRDB
public import Logging
import Synchronization

/// The open tenant databases: one `DatabasePool` per tenant file (GRDB: connect to
/// a file only once), at most `maximumOpenTenantDatabases` kept open, the least
/// recently used idle one closed (after a WAL checkpoint) when another must open.
///
/// A pool, not a queue: in WAL mode its readers never wait for the writer, so a
/// short read can run synchronously on the calling thread (``read(_:_:)``) without
/// queueing behind a write's fsync or hopping to another thread and back.
///
/// The table of open files is a `Mutex`-protected dictionary, not an actor: leasing an
/// open file is a few instructions under a lock with no suspension. Only opening a file
/// (which migrates it) suspends, and concurrent openers of one tenant share the work.
///
/// Callers lease a database for the length of a closure, so a database in use is
/// never closed under them; while every open database is leased the cache may
/// exceed its bound by the number of concurrent leases.
public final class TenantDatabases: Sendable {
    private struct Entry {
        var pool: DatabasePool
        var leases = 0
        var lastUse: UInt64
    }

    private struct State {
        var open: [String: Entry] = [:]
        var opening: [String: Task<DatabasePool, any Error>] = [:]
        /// Tenants whose file is being replaced (restore, delete): no new leases.
        var blocked: Set<String> = []
        var clock: UInt64 = 0
    }

    private let storage: StorageConfiguration
    private let logger: Logger
    private let state = Mutex(State())

    public init(storage: StorageConfiguration, logger: Logger) throws {
        self.storage = storage
        self.logger = logger
        try DatabaseOpening.createDirectory(storage.tenantsDirectory)
    }

    /// Open databases right now.
    public var openCount: Int { state.withLock { $0.open.count } }

    public var capacity: Int { storage.maximumOpenTenantDatabases }

    /// The file of a tenant. Only ids that pass `RecordID.isValid` become paths.
    /// - Throws: `StorageError.notFound` for any other string.
    func path(of tenantID: String) throws -> String {
        guard RecordID.isValid(tenantID, prefix: "ten") else { throw StorageError.notFound(kind: "tenant", id: tenantID) }
        return storage.tenantsDirectory + "/" + tenantID + ".sqlite"
    }

    /// Runs `body` with the tenant's database, opening (and migrating) it if needed.
    public func withDatabase<T: Sendable>(
        _ tenantID: String,
        _ body: (DatabasePool) async throws -> T
    ) async throws -> T {
        let pool = try await lease(tenantID)
        defer { release(tenantID) }
        return try await body(pool)
    }

    /// Runs `body` on a reader connection of the tenant's database, synchronously on
    /// the calling thread and outside any transaction: for short reads whose SQL is
    /// one statement (SQLite makes each statement see one snapshot) or which tolerate
    /// writes committing between their statements. Suspends only to open the file.
    public func read<T>(_ tenantID: String, _ body: (Database) throws -> T) async throws -> T {
        let pool = try await lease(tenantID)
        defer { release(tenantID) }
        return try pool.unsafeReentrantRead(body)
    }

    private enum Lease {
        case ready(DatabasePool)
        case wait(Task<DatabasePool, any Error>)
    }

    private func lease(_ tenantID: String) async throws -> DatabasePool {
        let path = try path(of: tenantID)
        let storage = self.storage
        let lease = try state.withLock { state throws -> Lease in
            guard !state.blocked.contains(tenantID) else { throw Self.busy("the tenant database is being replaced") }
            state.clock += 1
            if state.open[tenantID] != nil {
                state.open[tenantID]!.leases += 1
                state.open[tenantID]!.lastUse = state.clock
                return .ready(state.open[tenantID]!.pool)
            }
            if let pending = state.opening[tenantID] { return .wait(pending) }
            let task = Task { try Self.openAndMigrate(path: path, tenantID: tenantID, storage: storage) }
            state.opening[tenantID] = task
            return .wait(task)
        }
        guard case .wait(let task) = lease else {
            if case .ready(let pool) = lease { return pool }
            fatalError("unreachable")
        }
        let opened: Result<DatabasePool, any Error> = await task.result
        let (pool, victims) = try state.withLock { state throws -> (DatabasePool, [(String, DatabasePool)]) in
            if state.opening[tenantID] == task { state.opening[tenantID] = nil }
            let pool = try opened.get()
            // The file may have been claimed for a restore or delete while it opened:
            // this connection must be neither used nor cached.
            guard !state.blocked.contains(tenantID) else {
                if state.open[tenantID]?.pool !== pool { try? pool.close() }
                throw Self.busy("the tenant database is being replaced")
            }
            state.clock += 1
            if state.open[tenantID] == nil {
                state.open[tenantID] = Entry(pool: pool, lastUse: state.clock)
            }
            state.open[tenantID]!.leases += 1
            return (state.open[tenantID]!.pool, Self.evictIdleBeyondCapacity(&state, capacity: storage.maximumOpenTenantDatabases))
        }
        close(victims)
        return pool
    }

    private func release(_ tenantID: String) {
        let victims = state.withLock { state in
            state.open[tenantID]?.leases -= 1
            return Self.evictIdleBeyondCapacity(&state, capacity: storage.maximumOpenTenantDatabases)
        }
        close(victims)
    }

    /// Removes idle entries beyond `capacity` from the table; the caller closes them
    /// after leaving the lock (a checkpoint is file I/O).
    private static func evictIdleBeyondCapacity(_ state: inout State, capacity: Int) -> [(String, DatabasePool)] {
        var victims: [(String, DatabasePool)] = []
        while state.open.count > capacity {
            guard let victim = state.open.filter({ $0.value.leases == 0 }).min(by: { $0.value.lastUse < $1.value.lastUse })
            else { break }
            state.open[victim.key] = nil
            victims.append((victim.key, victim.value.pool))
        }
        return victims
    }

    private func close(_ victims: [(String, DatabasePool)]) {
        for (tenantID, pool) in victims {
            do {
                try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
                try pool.close()
            } catch {
                logger.warning("closing a tenant database failed", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
            }
        }
    }

    private static func busy(_ message: String) -> StorageError {
        .failedPrecondition(reason: "TENANT_BUSY", message: message)
    }

    private static func openAndMigrate(path: String, tenantID: String, storage: StorageConfiguration) throws -> DatabasePool {
        let pool = try DatabaseOpening.openPool(path: path, storage: storage)
        do {
            _ = try pool.read { db in try TenantSchema.version(of: db, tenantID: tenantID) }
            try TenantSchema.migrator.migrate(pool)
        } catch {
            try? pool.close()
            throw error
        }
        return pool
    }

    // MARK: Replacing and removing files

    /// Closes the tenant's database (waiting up to 5 s for leases to end), blocks new
    /// leases, runs `body` with the file path, then unblocks.
    public func withExclusiveFile<T: Sendable>(
        _ tenantID: String,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let path = try path(of: tenantID)
        try state.withLock { state in
            guard state.blocked.insert(tenantID).inserted else { throw Self.busy("the tenant database is being replaced") }
        }
        defer { _ = state.withLock { $0.blocked.remove(tenantID) } }
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let idle = state.withLock { state -> DatabasePool?? in
                guard (state.open[tenantID]?.leases ?? 0) == 0, state.opening[tenantID] == nil else { return .none }
                return .some(state.open.removeValue(forKey: tenantID)?.pool)
            }
            if case .some(let pool) = idle {
                if let pool { close([(tenantID, pool)]) }
                break
            }
            guard ContinuousClock.now < deadline else { throw Self.busy("the tenant database stayed in use") }
            try await Task.sleep(for: .milliseconds(10))
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
        if let pool = state.withLock({ $0.open[tenantID]?.pool }) {
            return try await pool.read { db in try TenantSchema.version(of: db, tenantID: tenantID) }
        }
        var configuration = DatabaseOpening.configuration(storage)
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try await queue.read { db in try TenantSchema.version(of: db, tenantID: tenantID) }
    }
}
