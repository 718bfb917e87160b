import SFAStubs
import Testing

@testable import SFAServices

/// Quote amounts against figures worked out by hand (in the comments) or by the
/// test's own arithmetic, never by the code under test.
@Suite struct QuoteMathTests {
    static func line(_ quantityMilli: Int64, _ price: Int64, _ currency: String = "JPY", discount: Int32 = 0, tax: Int32 = 1000, kind: QuoteLineKind = .item, list: Int64? = nil) -> QuoteLine {
        QuoteLine(
            kind: kind, quantityMilli: quantityMilli, unitPrice: Money(currencyCode: currency, amountMinor: price),
            listPrice: list.map { Money(currencyCode: currency, amountMinor: $0) }, discountBps: discount, taxRateBps: tax
        )
    }

    static func priced(_ lines: [QuoteLine], currency: String = "JPY", rules: QuoteMath.TaxRules = .init()) throws -> Quote {
        var quote = Quote(currencyCode: currency, lines: lines)
        try QuoteMath.compute(&quote, rates: lines.map(\.taxRateBps), rules: rules)
        return quote
    }

    /// Three lines of 105 yen at 8% and two of 115 yen at 10%, tax rounded down (切り捨て):
    /// per line 8.4→8 (×3 = 24) and 11.5→11 (×2 = 22): 46 yen;
    /// per rate (適格請求書) 315×8% = 25.2→25 and 230×10% = 23: 48 yen.
    @Test func perLineAndPerRateTaxGiveTheKnownDifferentResultsOnAMixedJapaneseQuote() throws {
        let lines = [Self.line(1000, 105, tax: 800), Self.line(1000, 105, tax: 800), Self.line(1000, 105, tax: 800), Self.line(1000, 115), Self.line(1000, 115)]
        let perLine = try Self.priced(lines, rules: .init(calculation: .perLine, rounding: .down))
        #expect(perLine.taxTotal?.amountMinor == 46)
        #expect(perLine.lines.map { $0.taxAmount?.amountMinor } == [8, 8, 8, 11, 11])
        #expect(perLine.grandTotal?.amountMinor == 591)  // 545 + 46
        let perRate = try Self.priced(lines, rules: .init(calculation: .perRate, rounding: .down))
        #expect(perRate.taxTotal?.amountMinor == 48)
        #expect(perRate.taxLines.map(\.rateBps) == [800, 1000])
        #expect(perRate.taxLines.map { $0.taxableAmount?.amountMinor } == [315, 230])
        #expect(perRate.taxLines.map { $0.taxAmount?.amountMinor } == [25, 23])
        #expect(perRate.lines.allSatisfy { $0.taxAmount?.amountMinor == 0 })
        #expect(perRate.netTotal?.amountMinor == 545)
        #expect(perRate.grandTotal?.amountMinor == 593)
        // Half away from zero: 8.4→8 (×3), 11.5→12 (×2) = 48; per rate 25.2→25, 23 = 48.
        #expect(try Self.priced(lines, rules: .init(calculation: .perLine)).taxTotal?.amountMinor == 48)
        // Up (切り上げ): 9×3 + 12×2 = 51 per line; 26 + 23 = 49 per rate.
        #expect(try Self.priced(lines, rules: .init(calculation: .perLine, rounding: .up)).taxTotal?.amountMinor == 51)
        #expect(try Self.priced(lines, rules: .init(calculation: .perRate, rounding: .up)).taxTotal?.amountMinor == 49)
    }

    /// 33.33% off 10,000 yen: 3,333 off, 6,667 net; three such lines 20,001 net.
    /// KWD has three decimals: 1.5 × 12.345 KWD = 18.5175 → 18.518 (18,518 fils).
    @Test func thirdDiscountsAndThreeDecimalCurrenciesRoundToWholeMinorUnits() throws {
        let thirds = try Self.priced(Array(repeating: Self.line(1000, 10_000, discount: 3333, tax: 0), count: 3))
        #expect(thirds.lines.map { $0.discountAmount?.amountMinor } == [3333, 3333, 3333])
        #expect(thirds.discountTotal?.amountMinor == 9999)
        #expect(thirds.netTotal?.amountMinor == 20_001)
        #expect(thirds.effectiveDiscountBps == 3333)
        let kuwait = try Self.priced([Self.line(1500, 12_345, "KWD", tax: 0)], currency: "KWD")
        #expect(kuwait.subtotal == Money(currencyCode: "KWD", amountMinor: 18_518))
    }

    /// Tax-inclusive 1,100 yen at 10%: the tax in it is 1,100 × 10/110 = 100, net 1,000.
    /// Per rate over 3 × 1,100: 300 tax, 3,000 net.
    @Test func taxInclusivePricesCarryTheirTaxInside() throws {
        let one = try Self.priced([Self.line(1000, 1100)], rules: .init(basis: .taxInclusive))
        #expect(one.taxTotal?.amountMinor == 100)
        #expect(one.netTotal?.amountMinor == 1000)
        #expect(one.grandTotal?.amountMinor == 1100)
        #expect(one.lines[0].totalAmount?.amountMinor == 1100)
        let three = try Self.priced(Array(repeating: Self.line(1000, 1100), count: 3), rules: .init(calculation: .perRate, basis: .taxInclusive))
        #expect(three.taxLines.map { $0.taxableAmount?.amountMinor } == [3000])
        #expect(three.grandTotal?.amountMinor == 3300)
    }

    /// A document discount line and a lowered unit price both count against list price.
    @Test func theEffectiveDiscountIsMeasuredAgainstListPriceAndDocumentDiscounts() throws {
        // 7,000 instead of a 10,000 list price, no line discount: 30% off.
        let lowered = try Self.priced([Self.line(1000, 7000, tax: 0, list: 10_000)])
        #expect(lowered.lines[0].effectiveDiscountBps == 3000)
        #expect(QuoteMath.exceeds(lowered, thresholdBps: 2000))
        #expect(!QuoteMath.exceeds(lowered, thresholdBps: 3000))
        // Two 5,000 lines (10% off each) and a 2,000 document discount: 9,000 − 2,000 = 7,000
        // against 10,000: 30% for the document, though each line is only 10% off.
        let document = try Self.priced([
            Self.line(1000, 5000, discount: 1000, tax: 0), Self.line(1000, 5000, discount: 1000, tax: 0), Self.line(1000, 2000, tax: 0, kind: .discount),
        ])
        #expect(document.netTotal?.amountMinor == 7000)
        #expect(document.effectiveDiscountBps == 3000)
        #expect(QuoteMath.exceeds(document, thresholdBps: 2000))
        // Exactly at the threshold is not above it.
        #expect(!QuoteMath.exceeds(try Self.priced([Self.line(1000, 8000, tax: 0, list: 10_000)]), thresholdBps: 2000))
    }

    @Test func amountsOutsideInt64AreReportedNotWrapped() {
        #expect(throws: QuoteMath.Overflow.self) {
            try Self.priced([Self.line(1_000_000_000_000_000_000, 1_000_000_000_000_000_000, tax: 0)])
        }
        // Each line fits; the sum does not.
        #expect(throws: QuoteMath.Overflow.self) {
            try Self.priced(Array(repeating: Self.line(1000, Int64.max / 2, tax: 0), count: 3))
        }
        // Tax on the largest line pushes the total over.
        #expect(throws: QuoteMath.Overflow.self) {
            try Self.priced([Self.line(1000, Int64.max - 10, tax: 1000)])
        }
    }

    /// Seeded random quotes: the totals' identities hold, and per-rate tax equals the
    /// rounded tax of each rate's summed net, computed here independently.
    @Test func randomQuotesKeepTheirIdentities() throws {
        var random = SplitMix(seed: 0x5A1E5)
        for round in 0..<3000 {
            let rates: [Int32] = [0, 500, 800, 1000]
            let lines = (0..<Int(random.next() % 25 + 1)).map { _ in
                let kind: QuoteLineKind = random.next() % 10 == 0 ? .discount : (random.next() % 10 == 0 ? .shipping : .item)
                return Self.line(
                    Int64(random.next() % 100_000 + 1), Int64(random.next() % 10_000_000), "USD",
                    discount: kind == .discount ? 0 : Int32(random.next() % 10_001), tax: rates[Int(random.next() % 4)], kind: kind
                )
            }
            let calculation: TaxCalculation = round % 2 == 0 ? .perLine : .perRate
            let rounding: [TaxRounding] = [.halfAwayFromZero, .down, .up]
            let rules = QuoteMath.TaxRules(calculation: calculation, rounding: rounding[round % 3], basis: .taxExclusive)
            let quote = try Self.priced(lines, currency: "USD", rules: rules)
            let subtotal = quote.subtotal!.amountMinor, discount = quote.discountTotal!.amountMinor
            #expect(subtotal - discount == quote.netTotal!.amountMinor, "round \(round)")
            #expect(quote.netTotal!.amountMinor + quote.taxTotal!.amountMinor == quote.grandTotal!.amountMinor, "round \(round)")
            #expect(quote.lines.map { $0.netAmount!.amountMinor }.reduce(0, +) == quote.netTotal!.amountMinor, "round \(round)")
            if calculation == .perRate {
                var bases: [Int32: Int64] = [:]
                for line in quote.lines { bases[line.taxRateBps, default: 0] += line.netAmount!.amountMinor }
                for taxLine in quote.taxLines {
                    let expected = Self.roundedTax(bases[taxLine.rateBps]!, rate: taxLine.rateBps, rounding: rules.rounding)
                    #expect(taxLine.taxAmount!.amountMinor == expected, "round \(round) rate \(taxLine.rateBps)")
                }
            }
        }
    }

    /// The test's own rounding: exact with Double-free integer steps on the sign and
    /// magnitude (net × rate may be negative with discount lines).
    static func roundedTax(_ net: Int64, rate: Int32, rounding: TaxRounding) -> Int64 {
        let product = Int64(net) * Int64(rate)
        let magnitude = abs(product)
        let sign: Int64 = product < 0 ? -1 : 1
        let whole = magnitude / 10_000, rest = magnitude % 10_000
        switch rounding {
        case .down: return sign * whole
        case .up: return sign * (rest > 0 ? whole + 1 : whole)
        default: return sign * (rest >= 5000 ? whole + 1 : whole)
        }
    }
}

/// A small seeded generator (SplitMix64), so that a failing round can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
