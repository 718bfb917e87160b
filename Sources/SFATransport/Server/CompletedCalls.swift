import NIOCore
import Synchronization

/// Responses of calls that finished on other threads, waiting for the connection's
/// event loop. Calls finishing together are handed over with one wake-up of the loop
/// rather than one each.
final class CompletedCalls: Sendable {
    struct Completion: Sendable {
        var callID: UInt32
        var sequence: UInt64
        var response: ByteBuffer
        /// The size of the call's request, held until now.
        var requestBytes: Int
    }

    private let state = Mutex<(pending: [Completion], scheduled: Bool)>(([], false))

    /// Adds a finished call; returns true when the caller must schedule a drain on the loop.
    func add(_ completion: Completion) -> Bool {
        state.withLock { state in
            state.pending.append(completion)
            defer { state.scheduled = true }
            return !state.scheduled
        }
    }

    /// Everything finished so far; the next `add` schedules a new drain.
    func drain() -> [Completion] {
        state.withLock { state in
            state.scheduled = false
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
    }
}
