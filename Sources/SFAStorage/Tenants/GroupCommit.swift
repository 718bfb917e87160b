import CoreMetrics
import GRDB
import Synchronization

/// Group commit for one tenant file: the writes that arrive while a transaction is
/// being committed (and its WAL synced) wait, then share the next transaction, each
/// in a savepoint of its own. One sync then acknowledges many calls, which is how
/// durable writes get near batched SQLite (docs/architecture.md, "Group commit").
///
/// What each call sees is unchanged: its body runs alone on the writer connection,
/// after every write queued before it; a body that throws rolls back to its savepoint
/// and fails only its own call; no call is answered before the COMMIT that holds its
/// changes has returned (with `synchronous = FULL`, after the WAL is synced). Nothing
/// waits on purpose to grow a batch: a lone write commits at once, and batches grow
/// only as fast as writes arrive during a commit.
final class GroupCommit: Sendable {
    /// A queued write: runs its body and returns how to acknowledge it after the
    /// commit; or fails it.
    private struct Pending: Sendable {
        var run: @Sendable (Database) throws -> @Sendable () -> Void
        var fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var queue: [Pending] = []
        /// A batch is scheduled on the writer or running: it takes what is queued.
        var draining = false
        /// A read runs on the writer (``readIfIdle(_:)``), or is about to.
        var reading = false
        /// A write arrived during that read: its batch is scheduled when the read ends,
        /// so that it does not take the writer's queue between the read's taking the
        /// writer and its running there.
        var scheduleAfterRead = false
        /// Work that holds the writer for a while (``occupying(_:)``): backups, exports,
        /// maintenance.
        var occupants = 0
        /// Such work waiting for a read on the writer to end before it starts.
        var waitingForRead: [CheckedContinuation<Void, Never>] = []
    }

    /// Writes in one transaction at most: bounds the latency a batch adds to its
    /// first write and the WAL one commit appends.
    static let maximumBatch = 256

    private let writer: any DatabaseWriter
    private let state = Mutex(State())
    /// Where each batch's number of writes is recorded.
    private let batchSizes: Recorder?

    init(writer: any DatabaseWriter, batchSizes: Recorder? = nil) {
        self.writer = writer
        self.batchSizes = batchSizes
    }

    /// Runs `body` in the next shared transaction and returns its result once that
    /// transaction is committed.
    /// - Throws: what `body` threw (its changes rolled back, the other writes of the
    ///   batch unaffected), or the error that failed the transaction's BEGIN or COMMIT.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(
                run: { db in
                    let value = try body(db)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) }
            )
            let schedules = state.withLock { state in
                state.queue.append(pending)
                guard !state.draining else { return false }
                state.draining = true
                guard !state.reading else {
                    state.scheduleAfterRead = true
                    return false
                }
                return true
            }
            if schedules { scheduleBatch() }
        }
    }

    /// Runs `body` on the writer connection, on the calling thread, when nothing else
    /// uses it (no batch queued or running, no other read, no ``occupying(_:)`` work);
    /// nil, without running it, otherwise.
    ///
    /// A file that is mostly read then needs no connection besides its writer: each
    /// connection parses the whole schema when it opens and keeps caches of its own, so
    /// this halves the opens and the memory of such files, and the memory a read walks
    /// when thousands of tenants take turns.
    ///
    /// The read never waits for other work on the writer: from taking the writer until
    /// it ends, a write that arrives is queued and its batch scheduled only when the read
    /// ends, and ``occupying(_:)`` work waits for it, so nothing gets onto the writer's
    /// queue first. Writes may wait for the read instead, so only short reads come here
    /// (``TenantDatabases/read(_:long:_:)``). Read bodies do not write; in debug builds,
    /// which the tests run, the connection is `query_only` while one runs, so that one
    /// that writes fails there as it would on a read-only connection. Release builds
    /// skip it: the two statements cost about 15 µs per read (docs/benchmarks.md).
    ///
    /// Synchronous on purpose: from a synchronous context GRDB's synchronous
    /// `writeWithoutTransaction` is the one called, which runs the body on the calling
    /// thread, and never suspends while holding the writer.
    func readIfIdle<T>(_ body: (Database) throws -> T) throws -> T? {
        let taken = state.withLock { state in
            guard !state.draining, !state.reading, state.occupants == 0 else { return false }
            state.reading = true
            return true
        }
        guard taken else { return nil }
        defer { endRead() }
        #if DEBUG
        return try writer.writeWithoutTransaction { db in try db.readOnly { try body(db) } }
        #else
        return try writer.writeWithoutTransaction(body)
        #endif
    }

    /// Gives the writer back after a read: schedules the batch of the writes that
    /// arrived meanwhile, and lets waiting ``occupying(_:)`` work start.
    private func endRead() {
        let (schedules, waiting) = state.withLock { state in
            state.reading = false
            defer {
                state.scheduleAfterRead = false
                state.waitingForRead = []
            }
            return (state.scheduleAfterRead, state.waitingForRead)
        }
        if schedules { scheduleBatch() }
        for continuation in waiting { continuation.resume() }
    }

    /// Runs `body`, which uses the writer for long (a backup, an export, maintenance),
    /// with reads kept off the writer meanwhile, so that none waits for it; starts once
    /// a read running on the writer has ended.
    func occupying<T>(_ body: () async throws -> T) async throws -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waits = state.withLock { state in
                state.occupants += 1
                guard state.reading else { return false }
                state.waitingForRead.append(continuation)
                return true
            }
            if !waits { continuation.resume() }
        }
        defer { state.withLock { $0.occupants -= 1 } }
        return try await body()
    }

    /// One batch per job on the writer's queue, so that other users of the writer
    /// (migrations, backups) get their turn between batches.
    private func scheduleBatch() {
        writer.asyncWriteWithoutTransaction { db in self.runBatch(db) }
    }

    private func runBatch(_ db: Database) {
        let batch = state.withLock { state in
            let batch = Array(state.queue.prefix(Self.maximumBatch))
            state.queue.removeFirst(batch.count)
            return batch
        }
        batchSizes?.record(batch.count)
        var remaining = batch[...]
        var acknowledgements: [@Sendable () -> Void] = []
        acknowledgements.reserveCapacity(batch.count)
        while !remaining.isEmpty { remaining = Self.commit(remaining, db, acknowledgements: &acknowledgements) }
        let more = state.withLock { state in
            if state.queue.isEmpty { state.draining = false }
            return state.draining
        }
        // Answered once the writer is marked idle: a read that follows its write at
        // once finds the writer free (``readIfIdle(_:)``), not a batch just ended.
        for acknowledge in acknowledgements { acknowledge() }
        if more { scheduleBatch() }
    }

    /// Runs `writes` in one transaction, each in a savepoint, and commits. Returns the
    /// writes to run again: when an error made SQLite roll back the whole transaction
    /// (a full disk, an I/O error), the write that met it fails, and the ones before it,
    /// whose changes were lost with the transaction but which were not answered yet, go
    /// into a new one; each round fails one write at least, so this ends. How to answer
    /// the committed writes is appended to `acknowledgements`.
    private static func commit(
        _ writes: ArraySlice<Pending>,
        _ db: Database,
        acknowledgements: inout [@Sendable () -> Void]
    ) -> ArraySlice<Pending> {
        do {
            try db.execute(sql: "BEGIN IMMEDIATE")
        } catch {
            for write in writes { write.fail(error) }
            return []
        }
        // The writes whose savepoint was released, and how to answer each.
        var succeeded: [(write: Pending, acknowledge: @Sendable () -> Void)] = []
        succeeded.reserveCapacity(writes.count)
        for index in writes.indices {
            let write = writes[index]
            do {
                try db.cachedStatement(sql: "SAVEPOINT call").execute()
                let acknowledge = try write.run(db)
                try db.cachedStatement(sql: "RELEASE call").execute()
                succeeded.append((write, acknowledge))
            } catch {
                write.fail(error)
                do {
                    // The call's own changes go; the transaction and the other calls stay.
                    guard db.isInsideTransaction else { throw error }
                    try db.cachedStatement(sql: "ROLLBACK TO call").execute()
                    try db.cachedStatement(sql: "RELEASE call").execute()
                } catch {
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                    return ArraySlice(succeeded.map(\.write)) + writes[(index + 1)...]
                }
            }
        }
        do {
            try db.execute(sql: "COMMIT")
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
            // Nothing of the batch was kept: the calls about to be answered fail.
            for (write, _) in succeeded { write.fail(error) }
            return []
        }
        acknowledgements += succeeded.map(\.acknowledge)
        return []
    }
}
