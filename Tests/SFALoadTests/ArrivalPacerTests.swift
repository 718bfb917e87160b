import SFATestSupport
import Synchronization
import Testing

@testable import SFALoad

/// The pacer of a fixed-rate run: it holds each call until it is due, lets go every
/// call due by a turn on that turn (one timer for many calls), brings a turn forward
/// for a call due before it, and lets everything go when it stops.
///
/// The pacer runs on a clock and timers of the test's own, moved by hand: the tests
/// check which calls each turn lets go, not how late a loaded machine ran them.
@Suite struct ArrivalPacerTests {
    /// A clock moved by hand, and timers that fire when the test says.
    private final class ManualTime: Sendable {
        private struct State {
            var now: ContinuousClock.Instant
            var timers: [(at: ContinuousClock.Instant, action: @Sendable () -> Void)] = []
            var scheduled = 0
        }

        private let state: Mutex<State>
        let start: ContinuousClock.Instant

        init() {
            start = .now
            state = Mutex(State(now: start))
        }

        var now: ContinuousClock.Instant { state.withLock { $0.now } }
        /// Timers scheduled so far, fired or not.
        var scheduledCount: Int { state.withLock { $0.scheduled } }
        /// The earliest timer not yet fired.
        var nextTimer: ContinuousClock.Instant? { state.withLock { $0.timers.map(\.at).min() } }

        func schedule(at instant: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
            state.withLock {
                $0.timers.append((instant, action))
                $0.scheduled += 1
            }
        }

        /// Moves the clock to the earliest timer and fires every timer due by then.
        func fireNext() {
            let due = state.withLock { state -> [@Sendable () -> Void] in
                guard let next = state.timers.map(\.at).min() else { return [] }
                state.now = max(state.now, next)
                let now = state.now
                defer { state.timers.removeAll { $0.at <= now } }
                return state.timers.filter { $0.at <= now }.map(\.action)
            }
            for action in due { action() }
        }
    }

    /// The calls let go so far: each one's due time and the clock's time then.
    private final class Released: Sendable {
        let calls = Mutex<[(due: ContinuousClock.Instant, at: ContinuousClock.Instant)]>([])
        var count: Int { calls.withLock { $0.count } }
        func dues() -> [ContinuousClock.Instant] { calls.withLock { $0.map(\.due) } }
    }

    /// A pacer on `time`, its pacing task running.
    private static func startPacer(_ time: ManualTime, sendEarly: Duration) -> (ArrivalPacer, Task<Void, Never>) {
        let pacer = ArrivalPacer(sendEarly: sendEarly, timer: time.schedule(at:_:), now: { time.now })
        return (pacer, Task { await pacer.run() })
    }

    /// Starts a call due at `due` that records when the pacer let it go.
    private static func call(_ pacer: ArrivalPacer, due: ContinuousClock.Instant, time: ManualTime, into released: Released) -> Task<Void, Never> {
        Task {
            await pacer.wait(until: due)
            let at = time.now
            released.calls.withLock { $0.append((due, at)) }
        }
    }

    @Test func aCallDueWithinTheEarlyAllowanceGoesAtOnceWithoutThePacingTask() async {
        let time = ManualTime()
        let pacer = ArrivalPacer(sendEarly: .milliseconds(1), timer: time.schedule(at:_:), now: { time.now })
        // Nothing runs the pacer: a wait that parked would never return.
        await pacer.wait(until: time.start + .microseconds(500))
        await pacer.wait(until: time.start - .seconds(1))
        #expect(pacer.waitingCount == 0)
    }

    @Test func eachTurnLetsGoTheCallsDueBeforeTheNextAndNoOthers() async {
        let time = ManualTime()
        let sendEarly = Duration.milliseconds(1)
        let (pacer, pacing) = Self.startPacer(time, sendEarly: sendEarly)
        let released = Released()
        let dues = (1...5).map { time.start + .milliseconds(40 * $0) }
        // Parked in reverse order of their due times.
        let calls = dues.reversed().map { Self.call(pacer, due: $0, time: time, into: released) }
        #expect(await eventually { pacer.waitingCount == 5 })
        for expected in 1...5 {
            #expect(await eventually { time.nextTimer == dues[expected - 1] - sendEarly })
            time.fireNext()
            #expect(await eventually { released.count == expected })
            #expect(released.dues() == Array(dues.prefix(expected)))
        }
        for (due, at) in released.calls.withLock({ $0 }) {
            #expect(at >= due - sendEarly && at <= due, "let go at \(at - due) from its due time")
        }
        pacing.cancel()
        await pacing.value
        for call in calls { await call.value }
    }

    @Test func aCallDueBeforeThePlannedTurnBringsTheTurnForward() async {
        let time = ManualTime()
        let sendEarly = Duration.milliseconds(1)
        let (pacer, pacing) = Self.startPacer(time, sendEarly: sendEarly)
        let released = Released()
        // The call due later waits first: the pacer plans its turn for it, 1 s away.
        let late = Self.call(pacer, due: time.start + .seconds(1), time: time, into: released)
        #expect(await eventually { time.nextTimer == time.start + .seconds(1) - sendEarly })
        // The call due in 100 ms gets a turn of its own before that one.
        let early = Self.call(pacer, due: time.start + .milliseconds(100), time: time, into: released)
        #expect(await eventually { time.nextTimer == time.start + .milliseconds(100) - sendEarly })
        time.fireNext()
        #expect(await eventually { released.count == 1 })
        #expect(released.dues() == [time.start + .milliseconds(100)])
        #expect(pacer.waitingCount == 1)
        pacing.cancel()
        await pacing.value
        await late.value
        await early.value
    }

    @Test func callsDueTogetherShareOneTurnAndOneTimer() async {
        let time = ManualTime()
        let (pacer, pacing) = Self.startPacer(time, sendEarly: .microseconds(200))
        let released = Released()
        let due = time.start + .milliseconds(200)
        let calls = (0..<40).map { _ in Self.call(pacer, due: due, time: time, into: released) }
        #expect(await eventually { pacer.waitingCount == 40 && time.nextTimer != nil })
        // One timer per call, the cost the pacer removes, would be 40. A first few
        // calls may each wake the pacer before it has planned the turn.
        #expect(time.scheduledCount <= 4, "\(time.scheduledCount) timers for 40 calls due together")
        time.fireNext()
        #expect(await eventually { released.count == 40 })
        pacing.cancel()
        await pacing.value
        for call in calls { await call.value }
    }

    @Test func stoppingThePacerLetsWaitingCallsGoAndLaterOnesThroughAtOnce() async {
        let time = ManualTime()
        let (pacer, pacing) = Self.startPacer(time, sendEarly: .microseconds(200))
        let released = Released()
        let farOff = time.start + .seconds(3600)
        let waiting = Self.call(pacer, due: farOff, time: time, into: released)
        #expect(await eventually { pacer.waitingCount == 1 })
        pacing.cancel()
        await pacing.value
        #expect(await eventually { released.count == 1 })
        await waiting.value
        // Later waits do not park: nothing would let them go.
        let later = Self.call(pacer, due: farOff, time: time, into: released)
        #expect(await eventually { released.count == 2 })
        await later.value
    }
}
