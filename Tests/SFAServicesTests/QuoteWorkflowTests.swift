import SFAClient
import SFAServices
import SFAStubs
import Foundation
import Testing

/// Quotes over the real server: the deal path from a 20-line draft through approval to
/// an accepted quote that closes the deal, the primary quote setting the deal's amount,
/// and every way around the rules refused with nothing changed.
@Suite struct QuoteWorkflowTests {
    struct Fixture {
        let stack: TestStack
        let tenant: TestTenant
        let deal: Opportunity
        var repQuotes: QuoteServiceClient { stack.quotes(tenant.keys[.rep]) }
        var managerQuotes: QuoteServiceClient { stack.quotes(tenant.keys[.manager]) }
    }

    static func fixture(_ stack: TestStack, _ name: String) async throws -> Fixture {
        let tenant = try await stack.makeTenant(name)
        let account = try await stack.accounts(tenant.keys[.rep]).createAccount(CreateAccountRequest(account: Account(name: "\(name) KK")))
        let deal = try await stack.opportunities(tenant.keys[.rep]).createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
            name: "\(name) deal", accountId: account.id, amount: Money(currencyCode: "JPY", amountMinor: 1_000_000), expectedCloseDate: "2027-03-31"
        )))
        return Fixture(stack: stack, tenant: tenant, deal: deal)
    }

    static func yen(_ amount: Int64) -> Money { Money(currencyCode: "JPY", amountMinor: amount) }

    /// Twenty lines: line i is i units at 10,000 yen less 25%, at 10% tax.
    static var twentyLines: [QuoteLine] {
        (1...20).map { index in
            QuoteLine(productCode: "P-\(index)", description: "Part \(index)", quantityMilli: Int64(index) * 1000, unit: "pcs", unitPrice: yen(10_000), discountBps: 2500, taxRateBps: 1000)
        }
    }

    @Test func aDiscountedQuoteIsApprovedPresentedAcceptedAndClosesTheDealAtItsNetTotal() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "QuotePath")
            var quote = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Rollout", lines: Self.twentyLines)))
            // Worked out independently: Σ i for i = 1…20 is 210 units × 10,000 = 2,100,000
            // gross; 25% off each line = 525,000; net 1,575,000; 10% tax per line, each
            // exact (i × 750), 157,500; grand 1,732,500.
            #expect(quote.subtotal == Self.yen(2_100_000))
            #expect(quote.discountTotal == Self.yen(525_000))
            #expect(quote.netTotal == Self.yen(1_575_000))
            #expect(quote.taxTotal == Self.yen(157_500))
            #expect(quote.grandTotal == Self.yen(1_732_500))
            #expect(quote.status == .draft)
            #expect(quote.quoteNumber == "Q-000001")
            #expect(quote.currencyCode == "JPY")
            #expect(quote.requiresApproval)  // 25% > the default 20%
            #expect(quote.lines.allSatisfy { $0.id.hasPrefix("qli_") })

            let set = try await fixture.repQuotes.setPrimaryQuote(SetPrimaryQuoteRequest(id: quote.id, version: quote.version))
            quote = try #require(set.quote)
            #expect(set.opportunity?.amount == Self.yen(1_575_000))
            #expect(set.opportunity?.primaryQuoteId == quote.id)

            quote = try await fixture.repQuotes.submitQuoteForApproval(SubmitQuoteForApprovalRequest(id: quote.id, version: quote.version, comment: "strategic account"))
            #expect(quote.status == .needsApproval)
            #expect(quote.approvalThresholdBps == 2000)
            // A rep never approves; the table says so before the record does.
            #expect(await statusOf { try await fixture.repQuotes.approveQuote(ApproveQuoteRequest(id: quote.id, version: quote.version)) } == .permissionDenied)
            quote = try await fixture.managerQuotes.approveQuote(ApproveQuoteRequest(id: quote.id, version: quote.version, comment: "ok for this account"))
            #expect(quote.status == .approved)
            #expect(quote.approvalDecidedByUserId == fixture.tenant.users[.manager]!.id)

            quote = try await fixture.repQuotes.presentQuote(PresentQuoteRequest(id: quote.id, version: quote.version))
            #expect(quote.status == .presented)
            #expect(quote.issueDate.count == 10)
            // A presented quote is not edited.
            let edit = try #require(await failure {
                try await fixture.repQuotes.updateQuote(UpdateQuoteRequest(quote: Quote(id: quote.id, version: quote.version, name: "Changed"), updateMask: ["name"]))
            })
            #expect(edit.details.reason == "QUOTE_NOT_DRAFT")

            quote = try await fixture.repQuotes.acceptQuote(AcceptQuoteRequest(id: quote.id, version: quote.version, note: "PO to follow", closeOpportunity: true))
            #expect(quote.status == .accepted)
            let deal = try await stack.opportunities(fixture.tenant.keys[.rep]).getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
            #expect(deal.state == .won)
            #expect(deal.amount == Self.yen(1_575_000))
            // The deal's amount follows the quote: editing it directly is refused.
            let history = try await stack.opportunities(fixture.tenant.keys[.rep]).getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)).entries
            #expect(history.map(\.kind) == [.created, .updated, .closedWon])
            #expect(history[1].previousAmount == Self.yen(1_000_000))
        }
    }

    @Test func theApprovalCannotBeDodgedOrSelfGrantedAndRefusalsChangeNothing() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Dodges")
            // 7,000 yen against a 10,000 list price with no line discount: still 30% off.
            let lowered = QuoteLine(quantityMilli: 1000, unitPrice: Self.yen(7000), listPrice: Self.yen(10_000), taxRateBps: 1000)
            var quote = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Cheap", lines: [lowered])))
            quote = try await fixture.repQuotes.submitQuoteForApproval(SubmitQuoteForApprovalRequest(id: quote.id, version: quote.version))
            #expect(quote.status == .needsApproval)
            // The owner recalls it; a manager who owns a quote cannot approve it either.
            quote = try await fixture.repQuotes.recallQuote(RecallQuoteRequest(id: quote.id, version: quote.version))
            #expect(quote.status == .draft)

            let managerDeal = try await stack.opportunities(fixture.tenant.keys[.manager]).createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
                name: "Manager's", accountId: fixture.deal.accountId, amount: Self.yen(5), expectedCloseDate: "2027-01-01"
            )))
            var own = try await fixture.managerQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: managerDeal.id, name: "Own", lines: [lowered])))
            own = try await fixture.managerQuotes.submitQuoteForApproval(SubmitQuoteForApprovalRequest(id: own.id, version: own.version))
            let selfApproval = try #require(await failure { try await fixture.managerQuotes.approveQuote(ApproveQuoteRequest(id: own.id, version: own.version)) })
            #expect(selfApproval.code == .permissionDenied)
            #expect(selfApproval.details.reason == "SELF_APPROVAL")
            #expect(try await fixture.managerQuotes.getQuote(GetQuoteRequest(id: own.id)) == own)
            // The admin may; then rejecting an approved quote is not a transition.
            let admin = stack.quotes(fixture.tenant.keys[.admin])
            own = try await admin.rejectQuote(RejectQuoteRequest(id: own.id, version: own.version, comment: "too cheap"))
            #expect(own.status == .rejected)
            let acceptRejected = try #require(await failure { try await fixture.managerQuotes.acceptQuote(AcceptQuoteRequest(id: own.id, version: own.version)) })
            #expect(acceptRejected.details.reason == "INVALID_STATE_TRANSITION")
            #expect(try await fixture.managerQuotes.getQuote(GetQuoteRequest(id: own.id)) == own)
            // A rejection needs its comment.
            #expect(await statusOf { try await admin.rejectQuote(RejectQuoteRequest(id: quote.id, version: quote.version)) } == .invalidArgument)
        }
    }

    @Test func aPresentedQuotePastItsDateReadsAsExpiredAndCannotBeAccepted() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Expiry")
            let settings = stack.settings(fixture.tenant.keys[.admin])
            // UTC−11 first: "today" there is the earliest calendar day anywhere.
            var current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            current = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(settings: TenantSettings(version: current.version, timeZone: "Pacific/Pago_Pago"), updateMask: ["time_zone"]))
            let today = OpportunityRecordsClock.today(in: "Pacific/Pago_Pago")
            var quote = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(
                opportunityId: fixture.deal.id, name: "Short", lines: [QuoteLine(quantityMilli: 1000, unitPrice: Self.yen(100), taxRateBps: 1000)], validUntilDate: today
            )))
            quote = try await fixture.repQuotes.submitQuoteForApproval(SubmitQuoteForApprovalRequest(id: quote.id, version: quote.version))
            #expect(quote.status == .approved)  // no discount: approved on submit
            #expect(quote.approvalDecidedByUserId.isEmpty)
            quote = try await fixture.repQuotes.presentQuote(PresentQuoteRequest(id: quote.id, version: quote.version))
            // UTC+14: always at least a day later than Pago Pago, so the quote has expired.
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(settings: TenantSettings(version: current.version, timeZone: "Pacific/Kiritimati"), updateMask: ["time_zone"]))
            #expect(try await fixture.repQuotes.getQuote(GetQuoteRequest(id: quote.id)).status == .expired)
            #expect(try await fixture.repQuotes.listQuotes(ListQuotesRequest(statuses: [.expired])).quotes.map(\.id) == [quote.id])
            #expect(try await fixture.repQuotes.listQuotes(ListQuotesRequest(statuses: [.presented])).quotes.isEmpty)
            let accept = try #require(await failure { try await fixture.repQuotes.acceptQuote(AcceptQuoteRequest(id: quote.id, version: quote.version)) })
            #expect(accept.details.reason == "QUOTE_EXPIRED")
            // Revising an expired quote gives a new draft with the same number.
            let revised = try await fixture.repQuotes.reviseQuote(ReviseQuoteRequest(id: quote.id, version: quote.version))
            #expect(revised.quoteNumber == quote.quoteNumber)
            #expect(revised.revision == 2)
            #expect(revised.status == .draft)
            #expect(revised.previousRevisionQuoteId == quote.id)
            let old = try await fixture.repQuotes.getQuote(GetQuoteRequest(id: quote.id))
            #expect(old.supersededByQuoteId == revised.id)
            let superseded = try #require(await failure { try await fixture.repQuotes.reviseQuote(ReviseQuoteRequest(id: old.id, version: old.version)) })
            #expect(superseded.details.reason == "SUPERSEDED")
            #expect(try await fixture.repQuotes.listQuotes(ListQuotesRequest(latestRevisionsOnly: true)).quotes.map(\.id) == [revised.id])
        }
    }

    @Test func anotherPrimaryQuoteMovesTheAmountWhichIsReadOnlyUntilCleared() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Primary")
            let deals = stack.opportunities(fixture.tenant.keys[.rep])
            let first = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(
                opportunityId: fixture.deal.id, name: "A", lines: [QuoteLine(quantityMilli: 2000, unitPrice: Self.yen(300_000), taxRateBps: 1000)]
            )))
            let second = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(
                opportunityId: fixture.deal.id, name: "B", lines: [QuoteLine(quantityMilli: 3000, unitPrice: Self.yen(250_000), taxRateBps: 1000)]
            )))
            #expect(second.quoteNumber == "Q-000002")
            _ = try await fixture.repQuotes.setPrimaryQuote(SetPrimaryQuoteRequest(id: first.id, version: first.version))
            var deal = try await deals.getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
            #expect(deal.amount == Self.yen(600_000))
            let moved = try await fixture.repQuotes.setPrimaryQuote(SetPrimaryQuoteRequest(id: second.id, version: second.version))
            #expect(moved.opportunity?.amount == Self.yen(750_000))
            #expect(try await fixture.repQuotes.listQuotes(ListQuotesRequest(opportunityId: fixture.deal.id, primaryOnly: true)).quotes.map(\.id) == [second.id])
            deal = try await deals.getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
            let synced = try #require(await failure {
                try await deals.updateOpportunity(UpdateOpportunityRequest(opportunity: Opportunity(id: deal.id, version: deal.version, amount: Self.yen(1)), updateMask: ["amount"]))
            })
            #expect(synced.details.reason == "AMOUNT_SYNCED")
            // Editing the primary draft moves the deal's amount with it.
            let current = try await fixture.repQuotes.getQuote(GetQuoteRequest(id: second.id))
            _ = try await fixture.repQuotes.updateQuote(UpdateQuoteRequest(
                quote: Quote(id: current.id, version: current.version, lines: [QuoteLine(quantityMilli: 4000, unitPrice: Self.yen(250_000), taxRateBps: 1000)]),
                updateMask: ["lines"]
            ))
            #expect(try await deals.getOpportunity(GetOpportunityRequest(id: deal.id)).amount == Self.yen(1_000_000))
            let latest = try await fixture.repQuotes.getQuote(GetQuoteRequest(id: second.id))
            let cleared = try await fixture.repQuotes.clearPrimaryQuote(ClearPrimaryQuoteRequest(id: latest.id, version: latest.version))
            #expect(cleared.opportunity?.primaryQuoteId == "")
            deal = try #require(cleared.opportunity)
            deal = try await deals.updateOpportunity(UpdateOpportunityRequest(opportunity: Opportunity(id: deal.id, version: deal.version, amount: Self.yen(1)), updateMask: ["amount"]))
            #expect(deal.amount == Self.yen(1))
        }
    }

    @Test func nobodyWhoMadeOrSubmittedAQuoteApprovesItAndAcceptingClosesAtItsOwnTotal() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Makers")
            let discounted = QuoteLine(quantityMilli: 1000, unitPrice: Self.yen(60_000), listPrice: Self.yen(100_000), taxRateBps: 1000)
            // The manager drafts a quote for the rep and submits it: still not theirs to approve.
            var quote = try await fixture.managerQuotes.createQuote(CreateQuoteRequest(quote: Quote(
                opportunityId: fixture.deal.id, name: "Made for the rep", lines: [discounted], ownerUserId: fixture.tenant.users[.rep]!.id
            )))
            quote = try await fixture.managerQuotes.submitQuoteForApproval(SubmitQuoteForApprovalRequest(id: quote.id, version: quote.version))
            #expect(quote.submittedByUserId == fixture.tenant.users[.manager]!.id)
            #expect(await failure { try await fixture.managerQuotes.approveQuote(ApproveQuoteRequest(id: quote.id, version: quote.version)) }?.details.reason == "SELF_APPROVAL")
            // Only the owner recalls.
            #expect(await failure { try await fixture.managerQuotes.recallQuote(RecallQuoteRequest(id: quote.id, version: quote.version)) }?.details.reason == "NOT_OWNER")
            quote = try await stack.quotes(fixture.tenant.keys[.admin]).approveQuote(ApproveQuoteRequest(id: quote.id, version: quote.version))
            quote = try await fixture.repQuotes.presentQuote(PresentQuoteRequest(id: quote.id, version: quote.version))
            // Not primary, and the deal is at 1,000,000: accepting with close wins it at 60,000.
            quote = try await fixture.repQuotes.acceptQuote(AcceptQuoteRequest(id: quote.id, version: quote.version, closeOpportunity: true))
            let deal = try await stack.opportunities(fixture.tenant.keys[.rep]).getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
            #expect(deal.state == .won)
            #expect(deal.amount == Self.yen(60_000))
            #expect(deal.primaryQuoteId == quote.id)
            // A won deal's amount no longer follows any quote.
            let other = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Late", lines: [discounted])))
            #expect(await failure { try await fixture.repQuotes.setPrimaryQuote(SetPrimaryQuoteRequest(id: other.id, version: other.version)) }?.details.reason == "OPPORTUNITY_CLOSED")
            #expect(try await stack.opportunities(fixture.tenant.keys[.rep]).getOpportunity(GetOpportunityRequest(id: deal.id)) == deal)
        }
    }

    @Test func aQuoteCannotSwitchItsTaxRulesOrHideADiscountOutsideItemLines() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Rules")
            // Tax rules are the tenant's, snapshotted; a quote's own are not taken.
            var proposed = Quote(opportunityId: fixture.deal.id, name: "Inclusive?", lines: [QuoteLine(quantityMilli: 1000, unitPrice: Self.yen(10_000), taxRateBps: 1000)])
            proposed.priceBasis = .taxInclusive
            let quote = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: proposed))
            #expect(quote.priceBasis == .taxExclusive)
            #expect(quote.netTotal == Self.yen(10_000))
            #expect(await failure {
                try await fixture.repQuotes.updateQuote(UpdateQuoteRequest(quote: Quote(id: quote.id, version: quote.version, priceBasis: .taxInclusive), updateMask: ["price_basis"]))
            }?.details.fieldViolations.map(\.reason) == ["NOT_ALLOWED"])
            // No discount on shipping, no negative tax, no other currency.
            let lines = [
                QuoteLine(kind: .shipping, quantityMilli: 1000, unitPrice: Self.yen(5000), discountBps: 10_000),
                QuoteLine(quantityMilli: 1000, unitPrice: Self.yen(5000), taxRateBps: -10_000),
            ]
            let bad = try #require(await failure {
                try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Bad", currencyCode: "USD", lines: lines)))
            })
            #expect(bad.details.fieldViolations.map(\.field) == ["quote.currency_code"])
            let badLines = try #require(await failure { try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Bad", lines: lines))) })
            #expect(Set(badLines.details.fieldViolations.map { "\($0.field) \($0.reason)" }) == ["quote.lines[0].discount_bps NOT_ALLOWED", "quote.lines[1].tax_rate_bps OUT_OF_RANGE"])
            // Two lines at the largest list price: each line's reference is too large.
            let huge = QuoteLine(quantityMilli: 1_000_000_000_000_000_000, unitPrice: Self.yen(1), listPrice: Self.yen(Int64.max), taxRateBps: 1000)
            let overflow = try #require(await failure {
                try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Huge", lines: [huge, huge])))
            })
            #expect(overflow.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["quote.lines[0].list_price OUT_OF_RANGE"])
            // With tax codes, lines name one.
            let settings = stack.settings(fixture.tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: current.version, taxCodes: [TaxCode(key: "standard", label: "Standard", rateBps: 1000), TaxCode(key: "reduced", label: "Reduced", rateBps: 800)]),
                updateMask: ["tax_codes"]
            ))
            let typed = try #require(await failure {
                try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Typed", lines: [QuoteLine(quantityMilli: 1000, unitPrice: Self.yen(100), taxRateBps: 9999)])))
            })
            #expect(typed.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["quote.lines[0].tax_code REQUIRED"])
            let coded = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(
                opportunityId: fixture.deal.id, name: "Coded", lines: [QuoteLine(quantityMilli: 1000, unitPrice: Self.yen(1000), taxCode: "reduced")]
            )))
            #expect(coded.lines[0].appliedTaxRateBps == 800)
            #expect(coded.taxTotal == Self.yen(80))
        }
    }

    @Test func amountsPastTheInt64RangeAndBadLinesAreInvalidArgument() async throws {
        try await withStack { stack in
            let fixture = try await Self.fixture(stack, "Limits")
            let huge = QuoteLine(quantityMilli: 1_000_000_000_000_000_000, unitPrice: Self.yen(Int64.max), taxRateBps: 1000)
            let overflow = try #require(await failure {
                try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Huge", lines: [huge])))
            })
            #expect(overflow.code == .invalidArgument)
            #expect(overflow.details.fieldViolations.map(\.reason) == ["OUT_OF_RANGE"])
            let mixed = QuoteLine(quantityMilli: 1000, unitPrice: Money(currencyCode: "USD", amountMinor: 100))
            let currency = try #require(await failure {
                try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Mixed", lines: [mixed])))
            })
            #expect(currency.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["quote.lines[0].unit_price.currency_code INCONSISTENT"])
            let document = DocumentReference(uri: "file:///etc/passwd", sha256: "XYZ", fileName: "../a.pdf", sizeBytes: 0)
            let bad = try #require(await failure {
                try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: fixture.deal.id, name: "Doc", document: document)))
            })
            #expect(Set(bad.details.fieldViolations.map(\.field)) == ["quote.document.uri", "quote.document.sha256", "quote.document.file_name", "quote.document.size_bytes"])
            #expect(try await fixture.repQuotes.listQuotes(ListQuotesRequest()).quotes.isEmpty)
        }
    }
}

/// Today in a time zone, as the test computes it (not the server's function).
enum OpportunityRecordsClock {
    static func today(in zone: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        let day = calendar.dateComponents([.year, .month, .day], from: Date())
        return String(format: "%04d-%02d-%02d", day.year!, day.month!, day.day!)
    }
}
