import Synchronization
import Testing

@testable import SFALoad

/// The pacer of a fixed-rate run: it holds each call until it is due, lets go every
/// call due by a turn on that turn (one timer for many calls), brings a turn forward
/// for a call due before it, and lets everything go when it stops.
@Suite struct ArrivalPacerTests {
    /// Counts the pacing task's timers.
    private final class Timers: Sendable {
        let count = Atomic<Int>(0)
        func schedule(at instant: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
            count.add(1, ordering: .relaxed)
            Task {
                try? await Task.sleep(until: instant, clock: .continuous)
                action()
            }
        }
    }

    /// Runs `body` with a pacer whose pacing task runs meanwhile, then stops it.
    private static func withPacer<T: Sendable>(
        sendEarly: Duration,
        timer: ArrivalPacer.Timer? = nil,
        _ body: (ArrivalPacer) async -> T
    ) async -> T {
        let pacer = timer.map { ArrivalPacer(sendEarly: sendEarly, timer: $0) } ?? ArrivalPacer(sendEarly: sendEarly)
        let pacing = Task { await pacer.run() }
        let result = await body(pacer)
        pacing.cancel()
        await pacing.value
        return result
    }

    /// When each wait returned, for waits started in the order given.
    private static func released(
        _ pacer: ArrivalPacer,
        dues: [ContinuousClock.Instant],
        startingApart gap: Duration = .zero
    ) async -> [(due: ContinuousClock.Instant, at: ContinuousClock.Instant)] {
        await withTaskGroup(of: (due: ContinuousClock.Instant, at: ContinuousClock.Instant).self) { group in
            for due in dues {
                group.addTask {
                    await pacer.wait(until: due)
                    return (due, .now)
                }
                if gap > .zero { try? await Task.sleep(for: gap) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func aCallDueWithinTheEarlyAllowanceGoesAtOnceWithoutThePacingTask() async {
        let pacer = ArrivalPacer(sendEarly: .milliseconds(50))
        // Nothing runs the pacer: a wait that parked would never return.
        await pacer.wait(until: .now + .milliseconds(10))
        await pacer.wait(until: .now - .seconds(1))
    }

    @Test func eachCallGoesNoEarlierThanItsDueTimeLessTheAllowanceAndNotMuchLater() async {
        let sendEarly = Duration.milliseconds(1)
        let start = ContinuousClock.now
        let dues = (1...5).map { start + .milliseconds(40 * $0) }
        let released = await Self.withPacer(sendEarly: sendEarly) { await Self.released($0, dues: dues.reversed()) }
        #expect(released.count == dues.count)
        for (due, at) in released {
            #expect(at >= due - sendEarly, "released \(due - at) before its due time")
            // Loose: a loaded machine may be late, but not by a turn of the schedule.
            #expect(at < due + .milliseconds(100), "released \(at - due) after its due time")
        }
    }

    @Test func aCallDueBeforeThePlannedTurnBringsTheTurnForward() async {
        // The call due later waits first: the pacer plans its turn for it, 1 s away.
        // The call due in 100 ms must not wait for that turn.
        let start = ContinuousClock.now
        let released = await Self.withPacer(sendEarly: .milliseconds(1)) { pacer in
            await Self.released(pacer, dues: [start + .seconds(1), start + .milliseconds(100)], startingApart: .milliseconds(20))
        }
        let early = released.first { $0.due == start + .milliseconds(100) }
        #expect(early.map { $0.at - $0.due < .milliseconds(300) } == true, "released \(early.map { $0.at - $0.due } ?? .zero) late")
    }

    @Test func callsDueTogetherShareOneTurnOfThePacer() async {
        let timers = Timers()
        let due = ContinuousClock.now + .milliseconds(200)
        await Self.withPacer(sendEarly: .microseconds(200), timer: timers.schedule(at:_:)) { pacer in
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<40 { group.addTask { await pacer.wait(until: due) } }
            }
        }
        // One timer per call, the cost the pacer removes, would be 40. The first waits
        // may each bring the turn forward until the pacer has planned it, so allow a few.
        let count = timers.count.load(ordering: .relaxed)
        #expect((1...4).contains(count), "\(count) timers for 40 calls due together")
    }

    @Test func stoppingThePacerLetsWaitingCallsGoAndLaterOnesThroughAtOnce() async {
        let pacer = ArrivalPacer(sendEarly: .microseconds(200))
        let pacing = Task { await pacer.run() }
        let farOff = ContinuousClock.now + .seconds(3600)
        let waiting = Task { await pacer.wait(until: farOff) }
        // Give the wait time to park, then stop the pacer: the wait returns.
        try? await Task.sleep(for: .milliseconds(20))
        pacing.cancel()
        await pacing.value
        #expect(await Self.finishes(within: .seconds(10)) { await waiting.value })
        #expect(await Self.finishes(within: .seconds(10)) { await pacer.wait(until: farOff) })
    }

    /// Whether `body` returns within `limit` (a test that would hang fails instead).
    private static func finishes(within limit: Duration, _ body: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await body()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
