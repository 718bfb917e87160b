import Synchronization

/// Holds each worker of a fixed-rate run until its call falls due, with one timer for
/// the whole run: a pacing task sleeps until the earliest call that is waiting is
/// nearly due, then lets go every call due by its next turn (wrk2 sends what is due on
/// each turn of its loop in the same way).
///
/// Before, each worker slept until its own call was due: one timer per call. On Linux
/// a timer of Swift's concurrency is a libdispatch timer, armed and fired on
/// libdispatch's manager thread, and at 25,000 calls/s that thread took a quarter of
/// the load tool's CPU: the load tool spent 37 µs per call at a fixed rate against
/// 18 µs in a closed loop, on the two cores it shares with the server it measures.
final class ArrivalPacer: Sendable {
    /// How early a call may go: one due within this of the pacer's turn goes on that
    /// turn rather than wait for a timer of its own. Its latency then counts from when
    /// it is sent (`LoadRunner`).
    let sendEarly: Duration
    private let sleep: @Sendable (ContinuousClock.Instant) async -> Void

    private struct Waiter {
        var due: ContinuousClock.Instant
        var resume: CheckedContinuation<Void, Never>
    }

    private struct State {
        /// In due order.
        var waiters: [Waiter] = []
        /// The pacing task, when it waits for a first waiter.
        var idle: CheckedContinuation<Void, Never>?
        /// Set when the pacing task ends: later waits return at once.
        var stopped = false
    }

    private let state = Mutex(State())

    /// - Parameter sleep: suspends the pacing task until an instant, or until it is
    ///   cancelled; by default `Task.sleep`.
    init(
        sendEarly: Duration,
        sleep: @escaping @Sendable (ContinuousClock.Instant) async -> Void = { try? await Task.sleep(until: $0, clock: .continuous) }
    ) {
        self.sendEarly = sendEarly
        self.sleep = sleep
    }

    /// Returns when a call due at `due` may be sent: at once if it is due within
    /// `sendEarly`, or once the pacing task stopped; otherwise on the pacing task's
    /// first turn at or after `due - sendEarly`. Workers take their calls in due order
    /// but may reach this out of order: a call parked just after the pacing task
    /// chose its next turn from a later call goes on that turn, late by at most the
    /// interval between two calls or two turns, and that lateness counts in its
    /// latency.
    func wait(until due: ContinuousClock.Instant) async {
        guard due > .now + sendEarly else { return }
        await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
            let (parked, idle) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                guard !state.stopped else { return (false, nil) }
                // Kept in due order; calls mostly arrive in it, so from the end.
                let position = state.waiters.lastIndex { $0.due <= due }.map { $0 + 1 } ?? 0
                state.waiters.insert(Waiter(due: due, resume: resume), at: position)
                let idle = state.idle
                state.idle = nil
                return (true, idle)
            }
            if parked { idle?.resume() } else { resume.resume() }
        }
    }

    /// The pacing task: runs until the calling task is cancelled, then lets every
    /// waiting call go and makes later waits return at once. Its turns are at least
    /// `sendEarly` apart, and each lets go every call due before the next could
    /// come: at 25,000 calls/s a turn lets go about five. Turning as soon as the next
    /// call is due within `sendEarly` would take a turn, and a timer, per call again.
    func run() async {
        await withTaskCancellationHandler {
            while !Task.isCancelled {
                let turn = ContinuousClock.now
                let (ready, next) = state.withLock { state -> ([Waiter], ContinuousClock.Instant?) in
                    let count = state.waiters.prefix { $0.due <= turn + sendEarly }.count
                    let ready = Array(state.waiters.prefix(count))
                    state.waiters.removeFirst(count)
                    return (ready, state.waiters.first?.due)
                }
                for waiter in ready { waiter.resume.resume() }
                if let next {
                    await sleep(max(next - sendEarly, turn + sendEarly))
                } else {
                    await waitForAWaiter()
                }
            }
        } onCancel: {
            stop()
        }
        stop()
    }

    /// Suspends the pacing task until a call waits (or the pacer stopped).
    private func waitForAWaiter() async {
        await withCheckedContinuation { (idle: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                guard state.waiters.isEmpty, !state.stopped else { return true }
                state.idle = idle
                return false
            }
            if resumeNow { idle.resume() }
        }
    }

    /// Lets every waiting call go, the pacing task too if it waits, and every later
    /// wait return at once.
    private func stop() {
        let (waiters, idle) = state.withLock { state in
            state.stopped = true
            defer { (state.waiters, state.idle) = ([], nil) }
            return (state.waiters, state.idle)
        }
        for waiter in waiters { waiter.resume.resume() }
        idle?.resume()
    }
}
