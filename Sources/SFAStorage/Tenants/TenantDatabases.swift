import Foundation
public import GRDB
public import Logging
import Synchronization

/// The open tenant databases: one writer connection per tenant file (a GRDB
/// `DatabaseQueue`; GRDB: connect to a file only once), at most
/// `maximumOpenTenantDatabases` kept open, the least recently used idle one closed
/// (after a WAL checkpoint) when another must open.
///
/// The writer serves writes (in groups, ``GroupCommit``), migrations and maintenance,
/// and short reads while nothing else uses it. Besides it, each open file has a few
/// read-only connections of its own for ``read(_:long:_:)``s that overlap other work
/// or take long: an idle one is taken from a list under the lock and used with
/// `inDatabase`. Either way a read runs on the calling thread. In WAL mode a reader
/// never waits for the writer, so a short read neither queues behind a write's fsync
/// nor hops to another thread and back (GRDB's own pool reads go through a barrier
/// queue and a semaphore, which under load costs a thread switch per read).
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
        var writer: DatabaseQueue
        /// The file's business writes, committed in groups.
        let commits: GroupCommit
        /// Read-only connections not in use, and how many exist.
        var idleReaders: [DatabaseQueue] = []
        var readers = 0
        var leases = 0
        var lastUse: UInt64

        init(writer: DatabaseQueue, lastUse: UInt64, metrics: StorageMetrics) {
            self.writer = writer
            self.commits = GroupCommit(writer: writer, batchSizes: metrics.groupCommitWrites)
            self.lastUse = lastUse
        }

        /// Every connection of the file, for closing it.
        var connections: [any DatabaseWriter] { [writer] + idleReaders }
    }

    private struct State {
        var open: [String: Entry] = [:]
        var opening: [String: Task<DatabaseQueue, any Error>] = [:]
        /// Tenants whose file is being replaced (restore, delete): no new leases.
        var blocked: Set<String> = []
        /// Tenants this node does not serve (moving or moved to another node): a lease
        /// fails with the error given, so that no call can write a file that has
        /// been handed over.
        var fenced: [String: any Error] = [:]

        /// Throws unless a new lease of the tenant's file may be taken.
        func checkLeasable(_ tenantID: String) throws {
            if let refusal = fenced[tenantID] { throw refusal }
            guard !blocked.contains(tenantID) else { throw TenantDatabases.busy("the tenant database is being replaced") }
        }
        /// Tenants evicted whose connections are not closed yet.
        var closing: Set<String> = []
        var clock: UInt64 = 0
    }

    private let storage: StorageConfiguration
    private let logger: Logger
    private let state = Mutex(State())
    private let metrics: StorageMetrics
    private let failures: TenantFileFailures
    /// Where new tenant files come from.
    private let template: TenantTemplate
    /// Where evicted files are closed: concurrent, as files are independent and each
    /// close mostly waits for the disk.
    private let closer = DispatchQueue(label: "sfa.tenant-databases.closer", attributes: .concurrent)

    public init(storage: StorageConfiguration, logger: Logger) throws {
        self.storage = storage
        self.logger = logger
        self.metrics = StorageMetrics(factory: storage.metricsFactory)
        self.failures = TenantFileFailures(logger: logger)
        self.template = TenantTemplate(storage: storage)
        metrics.openDatabases.set(0)
        try DatabaseOpening.createDirectory(storage.tenantsDirectory)
    }

    /// Open databases right now.
    public var openCount: Int { state.withLock { $0.open.count } }

    public var capacity: Int { storage.maximumOpenTenantDatabases }

    /// The file of a tenant. Only ids that pass `RecordID.isValid` become paths.
    /// - Throws: `StorageError.notFound` for any other string.
    func path(of tenantID: String) throws -> String {
        guard RecordID.isValid(tenantID, prefix: "ten") else { throw StorageError.notFound(kind: "tenant", id: tenantID) }
        return filePath(tenantID)
    }

    /// The file of a tenant whose id was checked when it was opened. (A connection's
    /// own `path` is the name it was opened by, a URI with `.process` locking.)
    private func filePath(_ tenantID: String) -> String {
        storage.tenantsDirectory + "/" + tenantID + ".sqlite"
    }

    /// Runs `body` with the tenant's database, opening (and migrating) it if needed.
    public func withDatabase<T: Sendable>(
        _ tenantID: String,
        _ body: (DatabaseQueue) async throws -> T
    ) async throws -> T {
        do {
            let writer = try await lease(tenantID)
            defer { release(tenantID) }
            guard let commits = commits(of: tenantID, writer) else { throw Self.busy("the tenant database closed while leased") }
            // Reads keep off the writer meanwhile: none waits behind a backup.
            return try await commits.occupying { try await body(writer) }
        } catch {
            throw failures.translate(error, tenantID: tenantID)
        }
    }

    /// Runs `body` on a connection of the tenant's database, synchronously on the
    /// calling thread and outside any transaction: for reads whose SQL is one statement
    /// (SQLite makes each statement see one snapshot) or which tolerate writes
    /// committing between their statements. The body must not write (on a read-only
    /// connection it cannot; on the writer, debug builds refuse it). Suspends only to
    /// open the file.
    ///
    /// A short read runs on the file's writer connection when nothing else uses it
    /// (``GroupCommit/readIfIdle(_:)``), and on a read-only connection of the file
    /// otherwise: a cold tenant's first read opens one connection, not two (each parses
    /// the whole schema), and a file that is mostly read gets a second connection only
    /// for reads that overlap.
    /// - Parameter long: the read may take long (an aggregate over the whole file): it
    ///   always runs on a read-only connection, so that no write waits for it.
    public func read<T>(_ tenantID: String, long: Bool = false, _ body: (Database) throws -> T) async throws -> T {
        do {
            let (writer, commits) = try await leaseForRead(tenantID)
            let onWriter: T?
            do {
                onWriter = long ? nil : try commits.readIfIdle(body)
            } catch {
                release(tenantID)
                throw error
            }
            if let onWriter {
                release(tenantID)
                return onWriter
            }
            let reader = try takeReader(tenantID, writer)
            defer { release(tenantID, reader: reader, writer: writer) }
            return try reader.connection.inDatabase(body)
        } catch {
            throw failures.translate(error, tenantID: tenantID)
        }
    }

    /// Runs `body` in a savepoint of a `BEGIN IMMEDIATE` transaction on the tenant's
    /// database (opening it if needed), shared with the writes that arrive meanwhile
    /// (``GroupCommit``), and returns once that transaction is committed: every
    /// business write, timed. A body that throws fails alone, its changes rolled back.
    public func write<T: Sendable>(_ tenantID: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            let writer = try await lease(tenantID)
            defer { release(tenantID) }
            guard let commits = commits(of: tenantID, writer) else { throw Self.busy("the tenant database closed while leased") }
            return try await metrics.tenantWrites.time { try await commits.write(body) }
        } catch {
            throw failures.translate(error, tenantID: tenantID)
        }
    }

    /// Leases the file for a read and returns its writer and group commit: an open
    /// file under one lock, with one lookup.
    private func leaseForRead(_ tenantID: String) async throws -> (DatabaseQueue, GroupCommit) {
        let fast = try state.withLock { state throws -> (DatabaseQueue, GroupCommit)? in
            guard let index = state.open.index(forKey: tenantID) else { return nil }
            try state.checkLeasable(tenantID)
            state.clock += 1
            state.open.values[index].leases += 1
            state.open.values[index].lastUse = state.clock
            return (state.open.values[index].writer, state.open.values[index].commits)
        }
        if let fast { return fast }
        let writer = try await lease(tenantID)
        guard let commits = commits(of: tenantID, writer) else {
            release(tenantID)
            throw Self.busy("the tenant database closed while leased")
        }
        return (writer, commits)
    }

    /// The group commit of a leased file (the file stays open while leased: its entry
    /// is there); nil if it closed all the same.
    private func commits(of tenantID: String, _ writer: DatabaseQueue) -> GroupCommit? {
        state.withLock { state in state.open[tenantID].flatMap { $0.writer === writer ? $0.commits : nil } }
    }

    /// A read-only connection of a leased file: an idle connection, a new one while
    /// fewer than `maximumReadersPerTenant` exist, else a transient one (closed after
    /// use). Sync reads never suspend while holding one, so as many as there are
    /// threads running them suffice and the transient case is rare. On failure the
    /// file's lease ends too.
    private func takeReader(_ tenantID: String, _ writer: DatabaseQueue) throws -> Reader {
        let maximum = storage.maximumReadersPerTenant
        let (idle, kept) = state.withLock { state -> (DatabaseQueue?, kept: Bool) in
            guard let index = state.open.index(forKey: tenantID), state.open.values[index].writer === writer else { return (nil, false) }
            return Self.reserveReader(&state.open.values[index], maximum: maximum)
        }
        if let idle { return Reader(connection: idle, kept: true) }
        do {
            return Reader(connection: try DatabaseOpening.openReader(path: filePath(tenantID), storage: storage), kept: kept)
        } catch {
            release(tenantID, reader: nil, writer: writer, readerSlot: kept)
            throw error
        }
    }

    /// A read-only connection in use, and whether it goes back to its file's list.
    private struct Reader {
        var connection: DatabaseQueue
        var kept: Bool
    }

    /// Takes an idle reader of a leased `entry`, or reserves a slot for a new one
    /// (`kept`), or neither (a transient reader).
    private static func reserveReader(_ entry: inout Entry, maximum: Int) -> (DatabaseQueue?, kept: Bool) {
        if let idle = entry.idleReaders.popLast() { return (idle, true) }
        guard entry.readers < maximum else { return (nil, false) }
        entry.readers += 1
        return (nil, true)
    }

    /// Ends a lease taken with a reader: the reader goes back to its file's list (or
    /// is closed when transient or when its file was closed meanwhile).
    private func release(_ tenantID: String, reader: Reader?, writer: DatabaseQueue, readerSlot: Bool = false) {
        let (returned, victims) = state.withLock { state -> (Bool, [(String, [any DatabaseWriter])]) in
            var returned = false
            if let index = state.open.index(forKey: tenantID), state.open.values[index].writer === writer {
                state.open.values[index].leases -= 1
                if let reader, reader.kept {
                    state.open.values[index].idleReaders.append(reader.connection)
                    returned = true
                } else if readerSlot {
                    state.open.values[index].readers -= 1
                }
            }
            return (returned, Self.evictIdleBeyondCapacity(&state, capacity: storage.maximumOpenTenantDatabases))
        }
        if let reader, !returned { try? reader.connection.close() }
        close(victims)
    }

    /// A file already open, or the task opening it.
    private enum Lease {
        case open(DatabaseQueue)
        case opening(Task<DatabaseQueue, any Error>)
    }

    private func lease(_ tenantID: String) async throws -> DatabaseQueue {
        while true {
            if let writer = try await leaseOnce(tenantID) { return writer }
        }
    }

    /// Leases the open file, or waits for it to open and leases it; nil when another
    /// caller's opening of it finished and the file was closed again before this one
    /// resumed (evicted): the caller tries again rather than use a closed writer.
    private func leaseOnce(_ tenantID: String) async throws -> DatabaseQueue? {
        let storage = self.storage
        let template = self.template
        let leased = try state.withLock { state throws -> Lease in
            try state.checkLeasable(tenantID)
            state.clock += 1
            if let index = state.open.index(forKey: tenantID) {
                state.open.values[index].leases += 1
                state.open.values[index].lastUse = state.clock
                return .open(state.open.values[index].writer)
            }
            if let pending = state.opening[tenantID] { return .opening(pending) }
            let path = try path(of: tenantID)
            let opens = metrics.tenantOpens
            let task = Task {
                try await opens.time {
                    try await Self.onOpener { try Self.openAndMigrate(path: path, tenantID: tenantID, storage: storage, template: template) }
                }
            }
            state.opening[tenantID] = task
            return .opening(task)
        }
        // An open file is leased at once; otherwise wait for the task opening it.
        let task: Task<DatabaseQueue, any Error>
        switch leased {
        case .open(let writer): return writer
        case .opening(let opening): task = opening
        }
        let opened: Result<DatabaseQueue, any Error> = await task.result
        let (writer, victims) = try state.withLock { state throws -> (DatabaseQueue?, [(String, [any DatabaseWriter])]) in
            // The first waiter to resume installs the file; the others lease it.
            let installs = state.opening[tenantID] == task
            if installs { state.opening[tenantID] = nil }
            let writer = try opened.get()
            // The file may have been claimed for a restore or delete, or fenced, while
            // it opened: this connection must be neither used nor cached.
            do {
                try state.checkLeasable(tenantID)
            } catch {
                if installs { try? writer.close() }
                throw error
            }
            state.clock += 1
            if let index = state.open.index(forKey: tenantID) {
                // Cannot happen while this task was the opener; never leak its writer.
                if installs, state.open.values[index].writer !== writer { try? writer.close() }
                state.open.values[index].leases += 1
                state.open.values[index].lastUse = state.clock
                return (state.open.values[index].writer, [])
            }
            guard installs else { return (nil, []) }
            failures.opened(tenantID)
            var entry = Entry(writer: writer, lastUse: state.clock, metrics: metrics)
            entry.leases = 1
            state.open[tenantID] = entry
            metrics.openDatabases.increment()
            return (writer, Self.evictIdleBeyondCapacity(&state, capacity: storage.maximumOpenTenantDatabases))
        }
        close(victims)
        return writer
    }

    private func release(_ tenantID: String) {
        let victims = state.withLock { state in
            state.open[tenantID]?.leases -= 1
            return Self.evictIdleBeyondCapacity(&state, capacity: storage.maximumOpenTenantDatabases)
        }
        close(victims)
    }

    /// Removes idle entries from the table once it is beyond `capacity`: the least
    /// recently used ones, down to `capacity` less a margin of 1/32, so that one scan
    /// of the table pays for many opens rather than one (a scan per open would cost
    /// every cold call thousands of comparisons under the lock). The caller closes
    /// them after leaving the lock.
    private static func evictIdleBeyondCapacity(_ state: inout State, capacity: Int) -> [(String, [any DatabaseWriter])] {
        guard state.open.count > capacity else { return [] }
        let target = capacity - capacity / 32
        var idle: [(key: String, lastUse: UInt64)] = []
        for (key, entry) in state.open where entry.leases == 0 { idle.append((key, entry.lastUse)) }
        idle.sort { $0.lastUse < $1.lastUse }
        var victims: [(String, [any DatabaseWriter])] = []
        for (key, _) in idle.prefix(state.open.count - target) {
            if let entry = state.open.removeValue(forKey: key) {
                victims.append((key, entry.connections))
                state.closing.insert(key)
            }
        }
        return victims
    }

    /// Closes evicted files on a queue of their own: a checkpoint syncs the database
    /// file, which the call that happened to evict must not wait for. While more than
    /// `maximumClosing` files wait there (closes slower than opens), the caller closes
    /// its victims itself, so open descriptors stay bounded.
    private func close(_ victims: [(String, [any DatabaseWriter])]) {
        guard !victims.isEmpty else { return }
        let backlog = state.withLock { $0.closing.count }
        if backlog > Self.maximumClosing {
            closeNow(victims)
        } else {
            closer.async { self.closeNow(victims) }
        }
    }

    /// Files evicted but not closed yet, at most.
    private static let maximumClosing = 64

    /// Closes the connections of each file: its readers first, then the writer after a
    /// checkpoint that empties the WAL (no reader may hold a snapshot by then).
    private func closeNow(_ victims: [(String, [any DatabaseWriter])], evicted: Bool = true) {
        if !victims.isEmpty {
            metrics.openDatabases.decrement(by: Double(victims.count))
            if evicted { metrics.evictions.increment(by: victims.count) }
        }
        for (tenantID, connections) in victims {
            do {
                for reader in connections.dropFirst() { try reader.close() }
                guard let writer = connections.first else { continue }
                // The writer closes even when the checkpoint fails (a reader of another
                // process, such as Litestream, holding a snapshot): its descriptors must
                // not leak, and closing checkpoints what it can.
                defer { try? writer.close() }
                // An empty WAL (a tenant that was only read) has nothing to checkpoint;
                // closing the last connection then writes nothing.
                if Self.walHasFrames(filePath(tenantID)) {
                    try writer.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
                }
            } catch {
                logger.warning("closing a tenant database failed", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
            }
        }
        if evicted { _ = state.withLock { state in victims.map { state.closing.remove($0.0) } } }
    }

    /// Whether the WAL next to a database holds anything.
    private static func walHasFrames(_ path: String) -> Bool {
        var status = stat()
        return stat(path + "-wal", &status) == 0 && status.st_size > 0
    }

    /// Where files are opened: a queue whose threads may block on file I/O, unlike
    /// the cooperative pool (one thread per core), where an open of a cold tenant
    /// would stall every call of the process while it creates the WAL and reads the
    /// schema.
    private static let opener = DispatchQueue(label: "sfa.tenant-databases.opener", attributes: .concurrent)

    private static func onOpener<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            opener.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Refuses new leases of the tenant's file with `refusal` until ``unfence(_:)``:
    /// leases already held run to their end (``withExclusiveFile(_:_:)`` waits for them).
    public func fence(_ tenantID: String, with refusal: any Error) {
        state.withLock { $0.fenced[tenantID] = refusal }
    }

    /// Serves the tenant's file again.
    public func unfence(_ tenantID: String) {
        _ = state.withLock { $0.fenced.removeValue(forKey: tenantID) }
    }

    private static func busy(_ message: String) -> StorageError {
        .failedPrecondition(reason: "TENANT_BUSY", message: message)
    }

    /// Opens a tenant file (made from the template when it does not exist yet) and
    /// migrates it if it is behind. One access to the writer sets its durability and
    /// reads the version mark and journal mode in the file's header: a file at the
    /// current version (the usual case when thousands of tenants take turns in the
    /// cache) costs a read of its first page, nothing is written, no reader connection
    /// is opened and the migrator does not run.
    private static func openAndMigrate(path: String, tenantID: String, storage: StorageConfiguration, template: TenantTemplate) throws -> DatabaseQueue {
        if !FileManager.default.fileExists(atPath: path) { try template.makeDatabase(at: path) }
        let writer = try DatabaseOpening.openWriter(path: path, storage: storage)
        do {
            let behind = try writer.writeWithoutTransaction { db in
                try DatabaseOpening.applyDurability(storage, to: db)
                let behind = try TenantSchema.needsMigration(db, tenantID: tenantID)
                try DatabaseOpening.ensureWAL(db)
                return behind
            }
            if behind { try TenantSchema.migrate(writer) }
        } catch {
            try? writer.close()
            throw error
        }
        return writer
    }

    // MARK: Replacing and removing files

    /// Closes the tenant's database (waiting up to 5 s for leases to end), blocks new
    /// leases, runs `body` with the file path, then unblocks.
    /// - Parameter ignoringFence: only for the move that fenced the file and the
    ///   adoption that lifts the fence; a restore or delete of a fenced file (one this
    ///   node handed over) fails with the fence's refusal.
    public func withExclusiveFile<T: Sendable>(
        _ tenantID: String,
        ignoringFence: Bool = false,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let path = try path(of: tenantID)
        try state.withLock { state in
            if !ignoringFence, let refusal = state.fenced[tenantID] { throw refusal }
            guard state.blocked.insert(tenantID).inserted else { throw Self.busy("the tenant database is being replaced") }
        }
        defer { _ = state.withLock { $0.blocked.remove(tenantID) } }
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let idle = state.withLock { state -> [any DatabaseWriter]? in
                // An evicted file still closing must be closed before it is replaced.
                guard (state.open[tenantID]?.leases ?? 0) == 0, state.opening[tenantID] == nil, !state.closing.contains(tenantID)
                else { return nil }
                return state.open.removeValue(forKey: tenantID)?.connections ?? []
            }
            if let idle {
                // Closed for a restore or delete, not evicted; a file that was not open
                // has no connections and counts for nothing.
                closeNow(idle.isEmpty ? [] : [(tenantID, idle)], evicted: false)
                break
            }
            guard ContinuousClock.now < deadline else { throw Self.busy("the tenant database stayed in use") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await body(path)
    }

    /// Removes a tenant's database files (`ignoringFence` as ``withExclusiveFile(_:ignoringFence:_:)``).
    public func deleteFiles(_ tenantID: String, ignoringFence: Bool = false) async throws {
        try await withExclusiveFile(tenantID, ignoringFence: ignoringFence) { path in
            for suffix in ["", "-wal", "-shm", ".restoring", ".creating"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.removeItem(atPath: path + suffix)
            }
        }
    }

    /// The schema version of a tenant database without migrating it: nil when the
    /// file does not exist yet.
    public func schemaVersion(_ tenantID: String) async throws -> Int32? {
        let path = try path(of: tenantID)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // An open file is read under a lease taken only if it is open (so it is
        // neither closed nor replaced meanwhile, and never opened and migrated here).
        let leased = state.withLock { state -> DatabaseQueue? in
            guard let index = state.open.index(forKey: tenantID) else { return nil }
            state.open.values[index].leases += 1
            return state.open.values[index].writer
        }
        if let leased {
            defer { release(tenantID) }
            return try await leased.read { db in try TenantSchema.version(of: db, tenantID: tenantID) }
        }
        do {
            // Opened as the file's writer would be (never created): a connection of
            // another kind could take the file's first lock while its writer opens,
            // and leave the file without this process's lock.
            let queue = try DatabaseOpening.openWriter(path: path, storage: storage, existing: true)
            defer { try? queue.close() }
            return try await queue.read { db in try TenantSchema.version(of: db, tenantID: tenantID) }
        } catch {
            throw failures.translate(error, tenantID: tenantID)
        }
    }
}
