import Logging
import Synchronization

/// Writes keys' last uses (`last_used_time_ms`) to the control plane in batches, as
/// group commit writes calls, at most one batch per ``interval`` unless batches are
/// full: a use recorded when
/// no batch started within the interval goes at once, and the uses recorded after it
/// wait for the rest of the interval and go together in the next batch, each batch
/// one transaction.
/// The first calls of many keys at once (every key after a restart, or a thousand
/// tenants waking up) then cost one control-plane commit a second rather than one per
/// key or two: each is a synced commit on the control plane's one writer, which the
/// changes of access share, and at 1,000 cold calls a second the commits of one or
/// two keys each took 6% of sfad's CPU per call (docs/benchmarks.md). A last use is
/// kept to the minute anyway (`APIKeyGate`), so a second's wait shows nowhere. No call
/// waits for its use to be written; a batch that fails is logged and dropped (a last
/// use is informational); ``flush()`` writes what waits, at shutdown.
final class KeyUseRecorder: Sendable {
    private struct State {
        /// Key id → the latest use not written yet.
        var pending: [String: Int64] = [:]
        /// A task is writing batches: it takes what is pending.
        var writing = false
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
            defer { state.writing = true }
            return !state.writing
        }
        if starts { Task.detached(priority: .background) { await self.drain() } }
    }

    /// Writes batches, one per interval, until nothing is pending.
    private func drain() async {
        while true {
            let started = ContinuousClock.now
            let batch = state.withLock { state in
                let batch = take(&state.pending)
                if batch.isEmpty { state.writing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            await write(batch: batch)
            // Uses recorded from now on go in the next batch; `writing` stays set
            // meanwhile, so no other drain starts. After a full batch the next goes at
            // once: a backlog (a restart of a node with many keys) drains at the speed
            // of the writer, not a batch a second.
            let rest = started + interval - ContinuousClock.now
            if rest > .zero, batch.count < maximumBatch { await sleep(rest) }
        }
    }

    /// Writes every use not written yet, now, rather than when its batch is due: at
    /// shutdown, once calls have stopped, so that the last interval's uses are kept.
    func flush() async {
        while true {
            let batch = state.withLock { take(&$0.pending) }
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
