import SFALoad
import Testing

@Suite struct ArrivalScheduleTests {
    let start = ContinuousClock.now

    @Test func fixedRateCallsAreDueAtEvenIntervalsHoweverLateTheyAreTaken() {
        let schedule = ArrivalSchedule(plan: LoadPlan(stop: .count(5), pace: .fixedRate(1000)), start: start)
        // Taken long after they were due (a stalled server): the due times do not move.
        let late = start + .seconds(3)
        let dues = (0..<5).compactMap { _ in schedule.next(now: late)?.due }
        #expect(dues == (0..<5).map { start + .milliseconds($0) })
    }

    @Test func aCountEndsTheScheduleAfterThatManyCalls() {
        let schedule = ArrivalSchedule(plan: LoadPlan(stop: .count(3)), start: start)
        let tickets = (0..<5).map { _ in schedule.next(now: start) }
        #expect(tickets.compactMap(\.?.index) == [0, 1, 2])
        #expect(tickets[3] == nil && tickets[4] == nil)
    }

    @Test func aFixedRateWithADurationEndsAtTheLastCallDueBeforeTheEnd() {
        let schedule = ArrivalSchedule(plan: LoadPlan(stop: .duration(.seconds(1)), pace: .fixedRate(10)), start: start)
        var count = 0
        while schedule.next(now: start) != nil { count += 1 }
        #expect(count == 10)
    }

    @Test func closedLoopCallsAreDueWhenTakenUntilTheEnd() {
        let schedule = ArrivalSchedule(plan: LoadPlan(stop: .duration(.seconds(1))), start: start)
        let now = start + .milliseconds(400)
        #expect(schedule.next(now: now)?.due == now)
        #expect(schedule.next(now: start + .seconds(1)) == nil)
    }

    @Test func callsDueInTheWarmupAreMarkedSoThatTheyAreNotRecorded() {
        let schedule = ArrivalSchedule(plan: LoadPlan(stop: .count(4), warmup: .milliseconds(2), pace: .fixedRate(1000)), start: start)
        let warmups = (0..<4).compactMap { _ in schedule.next(now: start)?.isWarmup }
        #expect(warmups == [true, true, false, false])
    }
}
