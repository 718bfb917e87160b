import Logging
import Synchronization

/// Writes keys' last uses (`last_used_time_ms`) to the control plane in batches, one
/// transaction each, at most one batch per ``interval`` unless batches are full: a use
/// recorded when no batch started within the interval goes at once, and the uses
/// recorded after it wait for the rest of the interval and go together in the next.
///
/// The first calls of many keys at once (every key after a restart, or a thousand
/// tenants waking up) then cost one control-plane commit a second, or as many as
/// full batches need, rather than one for every key or two: each is a synced commit
/// on the control plane's one writer, which the changes of access share, and at 1,000
/// cold calls a second those commits took 6% of a cold call's CPU
/// (docs/benchmarks.md). A last use is kept to the minute anyway (`APIKeyGate`); a
/// key's first use shows in `ListApiKeys` up to a second later. No call waits for its
/// use to be written; a batch that fails is logged and dropped (a last use is
/// informational); ``flush()`` writes what waits, at shutdown.
final class KeyUseRecorder: Sendable {
    private struct State {
        /// Key id → the latest use not written yet.
        var pending: [String: Int64] = [:]
        /// A task writes batches: it takes what is pending.
        var draining = false
        /// That task is writing a batch now.
        var batchInFlight = false
        /// Flushes waiting for that batch to be written.
        var waitingForBatch: [CheckedContinuation<Void, Never>] = []
        /// Flushes running: batches are theirs to write, and the draining task ends
        /// rather than take one, so that two batches are never written at once.
        var flushes = 0
    }

    /// Keys in one transaction at most: 1,000. Bounds how long a batch holds the
    /// control plane's writer from the changes of access that share it.
    let maximumBatch: Int
    /// The least time from the start of one batch to the start of the next, unless
    /// the first was full: 1 s.
    let interval: Duration
    private let state = Mutex(State())
    private let write: @Sendable ([String: Int64]) async throws -> Void
    private let sleep: @Sendable (Duration) async -> Void
    private let logger: Logger

    /// - Parameters:
    ///   - sleep: waits out the rest of an interval (tests wait on a signal of their own).
    ///   - write: writes one batch, key id → time of last use, in one transaction.
    init(
        logger: Logger,
        maximumBatch: Int = 1_000,
        interval: Duration = .seconds(1),
        sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        write: @escaping @Sendable ([String: Int64]) async throws -> Void
    ) {
        self.logger = logger
        self.maximumBatch = maximumBatch
        self.interval = interval
        self.sleep = sleep
        self.write = write
    }

    /// Records a use of the key at `timeMs`, to be written with the next batch.
    func record(_ keyID: String, at timeMs: Int64) {
        let starts = state.withLock { state in
            state.pending[keyID] = max(state.pending[keyID] ?? timeMs, timeMs)
            defer { state.draining = true }
            return !state.draining
        }
        if starts { Task.detached(priority: .background) { await self.drain() } }
    }

    /// Writes batches, one per interval, until nothing is pending or a flush runs.
    private func drain() async {
        while true {
            let started = ContinuousClock.now
            let batch = state.withLock { state in
                let batch = state.flushes > 0 ? [:] : take(&state.pending)
                if batch.isEmpty { state.draining = false } else { state.batchInFlight = true }
                return batch
            }
            guard !batch.isEmpty else { return }
            await write(batch: batch)
            let flushes = state.withLock { state in
                state.batchInFlight = false
                defer { state.waitingForBatch = [] }
                return state.waitingForBatch
            }
            for flush in flushes { flush.resume() }
            // Uses recorded from now on go in the next batch; `draining` stays set
            // meanwhile, so no other task starts. After a full batch the next goes at
            // once: a backlog (a restart of a node with many keys) drains at the speed
            // of the writer, not a batch a second.
            let rest = started + interval - ContinuousClock.now
            if rest > .zero, batch.count < maximumBatch { await sleep(rest) }
        }
    }

    /// Writes every use not written yet, now, rather than when its batch is due, and
    /// returns once they are written (or failed): at shutdown, once calls have
    /// stopped, so that the last interval's uses are kept. A batch being written when
    /// it is called is waited for first, and no other starts until it returns.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waits = state.withLock { state in
                state.flushes += 1
                if state.batchInFlight { state.waitingForBatch.append(continuation) }
                return state.batchInFlight
            }
            if !waits { continuation.resume() }
        }
        while true {
            // Ends in the same step as it finds nothing left: a use recorded after it
            // is the draining task's again.
            let batch = state.withLock { state in
                let batch = take(&state.pending)
                if batch.isEmpty { state.flushes -= 1 }
                return batch
            }
            guard !batch.isEmpty else { return }
            await write(batch: batch)
        }
    }

    /// Removes up to ``maximumBatch`` uses from `pending` and returns them.
    private func take(_ pending: inout [String: Int64]) -> [String: Int64] {
        var batch: [String: Int64] = [:]
        for (keyID, timeMs) in pending.prefix(maximumBatch) { batch[keyID] = timeMs }
        for keyID in batch.keys { pending[keyID] = nil }
        return batch
    }

    private func write(batch: [String: Int64]) async {
        do {
            try await write(batch)
        } catch {
            logger.warning("could not record the last use of API keys", metadata: ["keys": "\(batch.count)", "error": "\(error)"])
        }
    }
}
