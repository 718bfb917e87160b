import Testing

@testable import SFALoad

@Suite struct FirstCallsTests {
    private static func fixtures(_ tenantIDs: [String]) -> [TenantFixture] {
        tenantIDs.enumerated().map { TenantFixture(tenantId: $1, apiKey: "key\($0)") }
    }

    @Test func eachTenantIsClaimedOnceWhicheverTaskClaimsIt() async {
        let tenants = 130
        let firstCalls = FirstCalls(fixtures: Self.fixtures((0..<tenants).map { "ten_\($0)" }))
        // Eight tasks claim every tenant, each in its own order.
        let claimed = await withTaskGroup(of: [Int].self) { group in
            for task in 0..<8 {
                group.addTask { (0..<tenants).map { ($0 * 7 + task * 13) % tenants }.filter { firstCalls.claim(fixture: $0) } }
            }
            return await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(claimed.sorted() == Array(0..<tenants))
    }

    @Test func fixturesOfOneTenantShareItsFirstCall() {
        // Three users of ten_a, one of ten_b.
        let firstCalls = FirstCalls(fixtures: Self.fixtures(["ten_a", "ten_b", "ten_a", "ten_a"]))
        #expect(firstCalls.claim(fixture: 2))
        #expect(!firstCalls.claim(fixture: 0) && !firstCalls.claim(fixture: 3))
        #expect(firstCalls.claim(fixture: 1))
        #expect(!firstCalls.claim(fixture: 1))
    }

    @Test func anIndexOutsideTheListIsNeverFirst() {
        let firstCalls = FirstCalls(fixtures: Self.fixtures(["ten_a"]))
        #expect(!firstCalls.claim(fixture: 64) && !firstCalls.claim(fixture: -1))
        #expect(firstCalls.claim(fixture: 0))
    }
}
