import Histogram
import SFALoad
import Testing

@Suite struct LatencyRecorderTests {
    @Test func mergedRecordersHoldTheCountsAndPercentilesOfBothWorkers() {
        var fast = LatencyRecorder()
        var slow = LatencyRecorder()
        for _ in 0..<90 { fast.record("GetLead", latency: .milliseconds(1)) }
        for _ in 0..<10 { slow.record("GetLead", latency: .milliseconds(100)) }
        slow.record("CreateLead", latency: .milliseconds(5))
        var merged = LatencyRecorder()
        merged.merge(fast)
        merged.merge(slow)
        let getLead = merged.latencies["GetLead"]!
        #expect(getLead.totalCount == 100)
        #expect(getLead.valueAtPercentile(50) == getLead.lowestEquivalentForValue(1000))
        #expect(getLead.valuesAreEquivalent(getLead.valueAtPercentile(99), 100_000))
        #expect(merged.overall.totalCount == 101)
        #expect(merged.succeeded == 101)
    }

    @Test func firstCallsToTenantsAreCountedApartAndAmongTheirMethods() {
        var first = LatencyRecorder()
        var second = LatencyRecorder()
        first.record("GetLead", latency: .milliseconds(8), firstToTenant: true)
        first.record("GetLead", latency: .milliseconds(1))
        second.record("CreateLead", latency: .milliseconds(12), firstToTenant: true)
        first.merge(second)
        #expect(first.firstCalls.totalCount == 2)
        #expect(first.firstCalls.valuesAreEquivalent(first.firstCalls.max, 12_000))
        #expect(first.firstCalls.valuesAreEquivalent(first.firstCalls.min, 8_000))
        #expect(first.succeeded == 3 && first.latencies["GetLead"]?.totalCount == 2)
    }

    @Test func failuresMergeByMethodAndStatus() {
        var first = LatencyRecorder()
        var second = LatencyRecorder()
        first.recordFailure("GetLead", status: "NOT_FOUND")
        second.recordFailure("GetLead", status: "NOT_FOUND")
        second.recordFailure("GetLead", status: "UNAVAILABLE")
        first.merge(second)
        #expect(first.failures == ["GetLead": ["NOT_FOUND": 2, "UNAVAILABLE": 1]])
        #expect(first.failed == 3)
    }

    @Test func latenciesBeyondTheRangeAreRecordedAtItsTop() {
        var recorder = LatencyRecorder()
        recorder.record("Slow", latency: .seconds(3600))
        #expect(recorder.latencies["Slow"]!.totalCount == 1)
    }
}
