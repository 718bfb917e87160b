import Foundation
import Logging
import SFAStorage
import SFAStubs
import Synchronization
import Testing

@testable import SFAServices

/// Keys' last uses are written in batches, none lost, and never on a call's path.
@Suite struct KeyUseRecorderTests {
    /// The batches a recorder wrote; the first write waits until `release()`.
    private final class Writes: Sendable {
        let batches = Mutex<[[String: Int64]]>([])
        let released = Atomic<Bool>(false)
        let failFirst: Bool

        init(failFirst: Bool = false) { self.failFirst = failFirst }

        func write(_ batch: [String: Int64]) async throws {
            let count = batches.withLock { batches in
                batches.append(batch)
                return batches.count
            }
            guard count == 1 else { return }
            for _ in 0..<2_000 where !released.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
            if failFirst { throw CancellationError() }
        }

        func release() { released.store(true, ordering: .releasing) }

        /// Waits, boundedly, until `count` batches have been written.
        func waitFor(_ count: Int) async throws {
            for _ in 0..<2_000 where batches.withLock({ $0.count }) < count { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    /// The recorder's waits between batches: each is recorded and lasts until `wake()`,
    /// so that a test sees what happens during the interval, however slow the machine.
    private final class Naps: Sendable {
        let requested = Mutex<[Duration]>([])
        let awake = Atomic<Bool>(false)

        func sleep(_ duration: Duration) async {
            requested.withLock { $0.append(duration) }
            for _ in 0..<2_000 where !awake.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(5)) }
        }

        func wake() { awake.store(true, ordering: .releasing) }

        /// Waits, boundedly, until the recorder has asked for `count` waits.
        func waitFor(_ count: Int) async throws {
            for _ in 0..<2_000 where requested.withLock({ $0.count }) < count { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    /// A recorder with no least interval between batches, unless one is given.
    private func recorder(_ writes: Writes, maximumBatch: Int = 1_000, interval: Duration = .zero, naps: Naps? = nil) -> KeyUseRecorder {
        let sleep: @Sendable (Duration) async -> Void = { duration in
            if let naps { await naps.sleep(duration) } else { try? await Task.sleep(for: duration) }
        }
        return KeyUseRecorder(
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            maximumBatch: maximumBatch,
            interval: interval,
            sleep: sleep
        ) { try await writes.write($0) }
    }

    /// A recorder whose waits are `Naps`, after its first batch (`key_0` alone), which
    /// went at once.
    private func afterAFirstBatch(interval: Duration) async throws -> (Writes, Naps, KeyUseRecorder) {
        let writes = Writes()
        writes.release()
        let naps = Naps()
        let uses = recorder(writes, interval: interval, naps: naps)
        uses.record("key_0", at: 1)
        try await writes.waitFor(1)
        return (writes, naps, uses)
    }

    @Test func usesAfterABatchWaitForTheIntervalAndThenGoTogether() async throws {
        let (writes, naps, uses) = try await afterAFirstBatch(interval: .seconds(60))
        for index in 1...10 { uses.record("key_\(index)", at: Int64(index)) }
        // The recorder waits out the rest of the interval, and however many uses come
        // meanwhile nothing more is written.
        try await naps.waitFor(1)
        let nap = try #require(naps.requested.withLock { $0.first })
        #expect(nap > .zero && nap <= .seconds(60))
        #expect(writes.batches.withLock { $0.count } == 1)
        naps.wake()
        try await writes.waitFor(2)

        let batches = writes.batches.withLock { $0 }
        #expect(batches.count == 2)
        #expect(batches.first == ["key_0": 1])
        #expect(batches.last == Dictionary(uniqueKeysWithValues: (1...10).map { ("key_\($0)", Int64($0)) }))
    }

    @Test func aFullBatchIsFollowedAtOnceWhateverTheInterval() async throws {
        let writes = Writes()
        writes.release()
        let naps = Naps()
        let uses = recorder(writes, maximumBatch: 1, interval: .seconds(3_600), naps: naps)
        for index in 0..<5 { uses.record("key_\(index)", at: Int64(index)) }
        // Each batch is full (one key): none waits.
        try await writes.waitFor(5)

        let batches = writes.batches.withLock { $0 }
        #expect(batches.count == 5 && batches.allSatisfy { $0.count == 1 })
        #expect(batches.reduce(into: [String: Int64]()) { $0.merge($1) { _, new in new } } == Dictionary(uniqueKeysWithValues: (0..<5).map { ("key_\($0)", Int64($0)) }))
        #expect(naps.requested.withLock { $0.isEmpty })
    }

    @Test func flushWritesTheUsesWaitingForTheirBatchAtOnce() async throws {
        let (writes, naps, uses) = try await afterAFirstBatch(interval: .seconds(3_600))
        uses.record("key_1", at: 2)
        uses.record("key_2", at: 3)
        try await naps.waitFor(1)
        await uses.flush()

        let batches = writes.batches.withLock { $0 }
        #expect(batches.count == 2)
        #expect(batches.last == ["key_1": 2, "key_2": 3])
    }

    @Test func flushWaitsForTheBatchBeingWrittenAndWritesWhatCameMeanwhile() async throws {
        let writes = Writes()
        let uses = recorder(writes, interval: .seconds(3_600), naps: Naps())
        uses.record("key_0", at: 1)
        // The first batch is being written (held until released) when flush is called.
        try await writes.waitFor(1)
        uses.record("key_1", at: 2)
        let flushed = Atomic<Bool>(false)
        let flushing = Task {
            await uses.flush()
            flushed.store(true, ordering: .releasing)
        }
        try await Task.sleep(for: .milliseconds(50))
        let returnedEarly = flushed.load(ordering: .acquiring)
        #expect(!returnedEarly, "flush returned while a batch was still being written")
        writes.release()
        await flushing.value

        #expect(writes.batches.withLock { $0 } == [["key_0": 1], ["key_1": 2]])
    }

    @Test func usesRecordedWhileABatchIsWrittenGoTogetherInTheNextWithEachKeysLatestTime() async throws {
        let writes = Writes()
        let uses = recorder(writes)
        uses.record("key_0", at: 1)
        try await writes.waitFor(1)
        for index in 1...50 { uses.record("key_\(index)", at: 10) }
        uses.record("key_1", at: 30)
        uses.record("key_1", at: 20)  // older than the use above: kept out
        writes.release()
        try await writes.waitFor(2)
        try await Task.sleep(for: .milliseconds(50))  // nothing else is coming

        let batches = writes.batches.withLock { $0 }
        #expect(batches.count == 2)
        #expect(batches.first == ["key_0": 1])
        var expected = Dictionary(uniqueKeysWithValues: (1...50).map { ("key_\($0)", Int64(10)) })
        expected["key_1"] = 30
        #expect(batches.last == expected)
    }

    @Test func aBacklogIsWrittenInBatchesOfAtMostTheMaximumWithNoUseLost() async throws {
        let writes = Writes()
        let uses = recorder(writes)
        uses.record("key_first", at: 1)
        try await writes.waitFor(1)
        let backlog = 2 * uses.maximumBatch + 500
        for index in 0..<backlog { uses.record("key_\(index)", at: Int64(index)) }
        writes.release()
        try await writes.waitFor(4)

        let batches = writes.batches.withLock { $0 }
        #expect(batches.count == 4)
        #expect(batches.allSatisfy { $0.count <= uses.maximumBatch })
        let written = batches.dropFirst().reduce(into: [String: Int64]()) { all, batch in all.merge(batch) { _, _ in -1 } }
        #expect(written.count == backlog)
        #expect(written == Dictionary(uniqueKeysWithValues: (0..<backlog).map { ("key_\($0)", Int64($0)) }))
    }

    @Test func aBatchThatFailsIsDroppedAndLaterUsesAreStillWritten() async throws {
        let writes = Writes(failFirst: true)
        let uses = recorder(writes)
        uses.record("key_a", at: 1)
        try await writes.waitFor(1)
        writes.release()
        // The failure is logged and dropped; later uses are still written.
        for _ in 0..<2_000 where writes.batches.withLock({ $0.count }) == 1 {
            uses.record("key_b", at: 2)
            try await Task.sleep(for: .milliseconds(5))
        }
        let batches = writes.batches.withLock { $0 }
        try #require(batches.count >= 2)
        #expect(batches[1] == ["key_b": 2])
    }

    @Test func callsOfManyKeysThroughTheServerHaveTheirLastUsesRecorded() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Uses")
            let start = ControlPlane.nowMs()
            for role in [Role.manager, .rep, .viewer] {
                _ = try await stack.leads(tenant.keys[role]).listLeads(ListLeadsRequest())
            }
            let users = Set([Role.manager, .rep, .viewer].map { tenant.users[$0]!.id })
            let admin = stack.admin(tenant.keys[.admin])
            // The recorder writes a batch a second; the whole suite's load may delay it
            // by seconds more.
            var used: [ApiKey] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                used = try await admin.listApiKeys(ListApiKeysRequest()).apiKeys.filter { users.contains($0.userId) && $0.lastUsedTimeMs >= start }
                if used.count == users.count { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(used.count == users.count)
            #expect(used.allSatisfy { $0.lastUsedTimeMs <= ControlPlane.nowMs() })
        }
    }
}
