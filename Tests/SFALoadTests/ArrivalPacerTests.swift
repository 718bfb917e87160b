import Synchronization
import Testing

@testable import SFALoad

/// The pacer of a fixed-rate run: it holds each call until it is due, lets go every
/// call due by a turn on that turn (one timer for many calls), and lets everything go
/// when it stops.
@Suite struct ArrivalPacerTests {
    /// Counts the pacing task's sleeps.
    private final class Sleeps: Sendable {
        let count = Atomic<Int>(0)
        func sleep(until deadline: ContinuousClock.Instant) async {
            count.add(1, ordering: .relaxed)
            try? await Task.sleep(until: deadline, clock: .continuous)
        }
    }

    @Test func aCallDueWithinTheEarlyAllowanceGoesAtOnceWithoutThePacingTask() async {
        let pacer = ArrivalPacer(sendEarly: .milliseconds(50))
        // Nothing runs the pacer: a wait that parked would never return.
        await pacer.wait(until: .now + .milliseconds(10))
        await pacer.wait(until: .now - .seconds(1))
    }

    @Test func eachCallGoesNoEarlierThanItsDueTimeLessTheAllowance() async {
        let sendEarly = Duration.milliseconds(1)
        let pacer = ArrivalPacer(sendEarly: sendEarly)
        let pacing = Task { await pacer.run() }
        let start = ContinuousClock.now
        let dues = (1...5).map { start + .milliseconds(20 * $0) }
        let released = await withTaskGroup(of: (ContinuousClock.Instant, ContinuousClock.Instant).self) { group in
            for due in dues.reversed() {
                group.addTask {
                    await pacer.wait(until: due)
                    return (due, .now)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        pacing.cancel()
        await pacing.value
        #expect(released.count == dues.count)
        for (due, at) in released { #expect(at >= due - sendEarly, "released \(due - at) before its due time") }
    }

    @Test func callsDueTogetherShareOneTurnOfThePacer() async {
        let sleeps = Sleeps()
        let pacer = ArrivalPacer(sendEarly: .microseconds(200), sleep: sleeps.sleep(until:))
        let pacing = Task { await pacer.run() }
        let due = ContinuousClock.now + .milliseconds(50)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<40 { group.addTask { await pacer.wait(until: due) } }
        }
        pacing.cancel()
        await pacing.value
        // The 40 waits may have reached the pacer over more than one of its turns, but
        // a timer per call, the cost the pacer removes, would be 40.
        #expect((1...4).contains(sleeps.count.load(ordering: .relaxed)))
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
