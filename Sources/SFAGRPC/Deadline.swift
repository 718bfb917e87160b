import SFACodec
import SFARPC
import SFATransport
import Synchronization

/// A call's deadline, kept as the native transport keeps it: when it passes, the
/// work is cancelled and the call is answered DEADLINE_EXCEEDED at once, without
/// waiting for the work to notice. A call the client cancels cancels the work too.
enum Deadline {
    typealias Outcome = Result<any ProtoMessage, SFARPC.RPCError>

    static func run(_ timeout: Duration?, _ work: @escaping @Sendable () async -> Outcome) async -> Outcome {
        let task = Task { await work() }
        return await withTaskCancellationHandler {
            guard let timeout else { return await task.value }
            return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let answered = Mutex(false)
                let answer: @Sendable (Outcome) -> Void = { outcome in
                    let first = answered.withLock { done in
                        defer { done = true }
                        return !done
                    }
                    if first { continuation.resume(returning: outcome) }
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    task.cancel()
                    answer(.failure(RPCDispatcher.deadlineExceeded))
                }
                Task {
                    let outcome = await task.value
                    timer.cancel()
                    answer(outcome)
                }
            }
        } onCancel: {
            task.cancel()
        }
    }
}
