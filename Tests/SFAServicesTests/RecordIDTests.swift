import Foundation
import SFAStorage
import Testing

/// Record ids take their random bits from a pool the kernel fills 4 KiB (256 ids) at a
/// time: across many refills and from many threads at once, no two ids are alike and
/// every random character varies.
@Suite struct RecordIDTests {
    @Test func idsMadeConcurrentlyAcrossManyRefillsAreUniqueAndWellFormed() async {
        let tasks = 8, perTask = 1_000  // 8,000 ids: about 31 refills of the pool
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<tasks {
                group.addTask { (0..<perTask).map { _ in RecordID.make("lead") } }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(ids.count == tasks * perTask)
        #expect(Set(ids).count == ids.count)
        // The random part alone is unique too: no word of the pool was handed out twice
        // (whole ids would differ anyway, by their milliseconds).
        #expect(Set(ids.map { $0.suffix(16) }).count == ids.count)
        #expect(ids.allSatisfy { RecordID.isValid($0, prefix: "lead") })
        // After "lead_" come 10 characters of time and 16 random ones; each random
        // position takes many of the 32 characters over 8,000 ids (a stuck word would not).
        for position in 15..<31 {
            let seen = Set(ids.map { Array($0.utf8)[position] })
            #expect(seen.count >= 16, "position \(position) took \(seen.count) characters")
        }
    }
}
