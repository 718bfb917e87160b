import Testing

@testable import SFALoad

@Suite struct FirstCallsTests {
    @Test func eachTenantIsClaimedOnceWhicheverTaskClaimsIt() async {
        let tenants = 130
        let firstCalls = FirstCalls(tenants: tenants)
        // Eight tasks claim every tenant, each in its own order.
        let claimed = await withTaskGroup(of: [Int].self) { group in
            for task in 0..<8 {
                group.addTask { (0..<tenants).map { ($0 * 7 + task * 13) % tenants }.filter { firstCalls.claim($0) } }
            }
            return await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(claimed.sorted() == Array(0..<tenants))
    }

    @Test func anIndexOutsideTheListIsNeverFirst() {
        let firstCalls = FirstCalls(tenants: 3)
        #expect(!firstCalls.claim(64))
        #expect(firstCalls.claim(2))
        #expect(!firstCalls.claim(2))
    }
}
