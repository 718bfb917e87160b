import Logging
import Synchronization

/// Writes keys' last uses (`last_used_time_ms`) to the control plane in batches, as
/// group commit writes calls: the uses recorded while one batch is written wait and go
/// in the next, each batch one transaction. The first calls of many keys at once (every
/// key after a restart, or a thousand tenants waking up) then cost a few control-plane
/// commits rather than one each: each is a synced commit on the control plane's one
/// writer, and the credential reads of other keys seen for the first time wait behind
/// it. Nothing waits on purpose to grow a batch, and no call waits for its use to be
/// written; a batch that fails is logged and dropped (a last use is informational).
final class KeyUseRecorder: Sendable {
    private struct State {
        /// Key id → the latest use not written yet.
        var pending: [String: Int64] = [:]
        /// A task is writing batches: it takes what is pending.
        var writing = false
    }

    /// Keys in one transaction at most: bounds how long a batch holds the control
    /// plane's writer from the changes of access that share it.
    static let maximumBatch = 1_000

    private let state = Mutex(State())
    private let write: @Sendable ([String: Int64]) async throws -> Void
    private let logger: Logger

    /// - Parameter write: writes one batch, key id → time of last use, in one transaction.
    init(logger: Logger, write: @escaping @Sendable ([String: Int64]) async throws -> Void) {
        self.logger = logger
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

    /// Writes batches until nothing is pending.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [String: Int64] in
                var batch: [String: Int64] = [:]
                for (keyID, timeMs) in state.pending.prefix(Self.maximumBatch) { batch[keyID] = timeMs }
                for keyID in batch.keys { state.pending[keyID] = nil }
                if batch.isEmpty { state.writing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                try await write(batch)
            } catch {
                logger.warning("could not record the last use of API keys", metadata: ["keys": "\(batch.count)", "error": "\(error)"])
            }
        }
    }
}
