import Synchronization

/// Holds each worker of a fixed-rate run until its call falls due, with one timer for
/// the whole run: a pacing task waits until the earliest call that is waiting is
/// nearly due, then lets go every call due by its next turn (wrk2 sends what is due on
/// each turn of its loop in the same way).
///
/// Before, each worker slept until its own call was due: one timer per call. On Linux
/// a timer of Swift's concurrency is a libdispatch timer, armed and fired on
/// libdispatch's manager thread, which took a quarter of the load tool's CPU at
/// 25,000 calls/s, on the two cores it shares with the server it measures
/// (docs/benchmarks.md).
final class ArrivalPacer: Sendable {
    /// Calls `action` at an instant (or soon after), from any thread.
    typealias Timer = @Sendable (ContinuousClock.Instant, @escaping @Sendable () -> Void) -> Void

    /// How early a call may go: one due within this of the pacer's turn goes on that
    /// turn rather than wait for another. Its latency then counts from when it is sent
    /// (`LoadRunner`). Also the least time between two turns.
    let sendEarly: Duration
    private let timer: Timer
    private let now: @Sendable () -> ContinuousClock.Instant

    private struct Waiter {
        var due: ContinuousClock.Instant
        var resume: CheckedContinuation<Void, Never>
    }

    private struct State {
        /// In due order.
        var waiters: [Waiter] = []
        /// The pacing task's next turn; nil while it waits for a first waiter.
        var plannedTurn: ContinuousClock.Instant?
        /// The pacing task, between two turns.
        var pacer: CheckedContinuation<Void, Never>?
        /// A wake-up that came while the pacing task was not waiting: its next wait
        /// returns at once.
        var wakePending = false
        /// Set when the pacing task ends: later waits return at once.
        var stopped = false

        /// The pacing task to resume now, if it waits; otherwise it will not wait.
        mutating func wakePacer() -> CheckedContinuation<Void, Never>? {
            plannedTurn = nil
            guard let pacer else {
                wakePending = true
                return nil
            }
            self.pacer = nil
            return pacer
        }
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - timer: how the pacing task's turns are timed; by default a task sleeping on
    ///     Swift's clock.
    ///   - now: the time (tests run the pacer on a clock of their own).
    init(
        sendEarly: Duration,
        timer: @escaping Timer = { instant, action in
            Task {
                try? await Task.sleep(until: instant, clock: .continuous)
                action()
            }
        },
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.sendEarly = sendEarly
        self.timer = timer
        self.now = now
    }

    /// Calls waiting for their turn.
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// Returns when a call due at `due` may be sent: at once if it is due within
    /// `sendEarly`, or once the pacing task stopped; otherwise on the pacing task's
    /// first turn at or after `due - sendEarly`. A call that is due before the turn
    /// the pacing task planned (workers take their calls in due order, but one may be
    /// held up between taking its call and waiting) brings that turn forward.
    func wait(until due: ContinuousClock.Instant) async {
        guard due > now() + sendEarly else { return }
        await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
            let (parked, pacer) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                guard !state.stopped else { return (false, nil) }
                // From the end: calls mostly arrive in due order.
                let position = state.waiters.lastIndex { $0.due <= due }.map { $0 + 1 } ?? 0
                state.waiters.insert(Waiter(due: due, resume: resume), at: position)
                guard state.plannedTurn.map({ due - sendEarly < $0 }) ?? true else { return (true, nil) }
                return (true, state.wakePacer())
            }
            if parked { pacer?.resume() } else { resume.resume() }
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
                let turn = now()
                let (ready, planned) = state.withLock { state -> ([Waiter], ContinuousClock.Instant?) in
                    // Anything that asked for this turn is served by it.
                    state.wakePending = false
                    let count = state.waiters.prefix { $0.due <= turn + sendEarly }.count
                    let ready = Array(state.waiters.prefix(count))
                    state.waiters.removeFirst(count)
                    state.plannedTurn = state.waiters.first.map { max($0.due - sendEarly, turn + sendEarly) }
                    return (ready, state.plannedTurn)
                }
                for waiter in ready { waiter.resume.resume() }
                // A timer that fires after its turn was brought forward only causes an
                // extra turn.
                if let planned { timer(planned) { [self] in wake() } }
                await pause()
            }
        } onCancel: {
            stop()
        }
        stop()
    }

    /// Suspends the pacing task until it is woken: by its timer, by a call due before
    /// its planned turn, or by the pacer stopping.
    private func pause() async {
        await withCheckedContinuation { (pacer: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                guard !state.wakePending, !state.stopped else { return true }
                state.pacer = pacer
                return false
            }
            if resumeNow { pacer.resume() }
        }
    }

    private func wake() {
        state.withLock { $0.wakePacer() }?.resume()
    }

    /// Lets every waiting call go, the pacing task too if it waits, and every later
    /// wait return at once.
    private func stop() {
        let (waiters, pacer) = state.withLock { state in
            state.stopped = true
            defer { state.waiters = [] }
            return (state.waiters, state.wakePacer())
        }
        for waiter in waiters { waiter.resume.resume() }
        pacer?.resume()
    }
}
