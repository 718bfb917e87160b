import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Keyset pagination over the real server: paging through 5,000 deals by close date
/// and by amount while new deals keep arriving returns every deal that existed before
/// exactly once, in order.
@Suite struct OpportunityPaginationTests {
    @Test func pagingByCloseDateAndByAmountDuringInsertsReturnsEveryExistingDealOnce() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Paging")
            let account = try await stack.accounts(tenant.keys[.rep]).createAccount(CreateAccountRequest(account: Account(name: "Paging Co")))
            // Few distinct dates and amounts: long runs of ties, which the id must break.
            func deal(_ index: Int) -> Opportunity {
                Opportunity(
                    name: "Deal \(index)", accountId: account.id,
                    amount: index % 3 == 0 ? Money(currencyCode: "JPY", amountMinor: Int64(index % 17) * 1000) : Money(currencyCode: "USD", amountMinor: Int64(index % 13) * 500),
                    expectedCloseDate: "2027-0\(1 + index % 9)-1\(index % 7)"
                )
            }
            let existing = try await withThrowingTaskGroup(of: [Opportunity].self) { group in
                for worker in 0..<8 {
                    let deals = stack.opportunities(tenant.keys[.rep])
                    group.addTask {
                        var created: [Opportunity] = []
                        for index in stride(from: worker, to: 5000, by: 8) {
                            created.append(try await deals.createOpportunity(CreateOpportunityRequest(opportunity: deal(index))))
                        }
                        return created
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(existing.count == 5000)
            let existingIDs = Set(existing.map(\.id))
            let byID = Dictionary(uniqueKeysWithValues: existing.map { ($0.id, $0) })

            for order in ["expected_close_date", "expected_close_date desc", "amount desc", "amount asc"] {
                let reader = stack.opportunities(tenant.keys[.rep])
                let writer = stack.opportunities(tenant.keys[.rep])
                // Inserts keep arriving while the listing runs.
                let inserting = Task {
                    var count = 0
                    while !Task.isCancelled, count < 2000 {
                        _ = try await writer.createOpportunity(CreateOpportunityRequest(opportunity: deal(5000 + count)))
                        count += 1
                    }
                }
                var seen: [Opportunity] = []
                var token = ""
                for _ in 0..<100 {
                    let page = try await reader.listOpportunities(ListOpportunitiesRequest(pageSize: 173, pageToken: token, orderBy: order))
                    seen += page.opportunities
                    token = page.nextPageToken
                    if token.isEmpty { break }
                }
                inserting.cancel()
                _ = try? await inserting.value
                #expect(token.isEmpty, "\(order): the listing did not end")
                let seenExisting = seen.filter { existingIDs.contains($0.id) }
                #expect(seenExisting.count == 5000, "\(order)")
                #expect(Set(seenExisting.map(\.id)).count == 5000, "\(order): some deal came twice")
                #expect(Set(seen.map(\.id)).count == seen.count, "\(order): some new deal came twice")
                // The order, checked against the values the deals were created with.
                let keys = seenExisting.map { byID[$0.id]! }.map { opportunity -> (String, String) in
                    order.hasPrefix("amount") ? (Self.sortable(opportunity.amount!), opportunity.id) : (opportunity.expectedCloseDate, opportunity.id)
                }
                let ascending = !order.hasSuffix("desc")
                let sorted = zip(keys, keys.dropFirst()).allSatisfy { ascending ? $0 <= $1 : $0 >= $1 }
                #expect(sorted, "\(order): out of order")
            }
        }
    }

    /// The amount as the test computes its value independently: minor units scaled to
    /// four decimals (JPY has none, USD two), zero-padded so strings sort as numbers.
    static func sortable(_ money: Money) -> String {
        let scaled = money.amountMinor * (money.currencyCode == "JPY" ? 10_000 : 100)
        return String(repeating: "0", count: max(0, 20 - String(scaled).count)) + String(scaled)
    }
}
