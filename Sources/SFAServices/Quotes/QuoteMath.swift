import SFAStubs

/// A quote's amounts, computed exactly: integers in the currency's minor unit,
/// products and sums in 128 bits, every rounding explicit (quotes.proto's header is
/// the specification). Nothing here reads the database.
enum QuoteMath {
    /// How a quote's tax is computed, with the tenant's defaults already applied.
    struct TaxRules: Equatable {
        var calculation: TaxCalculation = .perLine
        var rounding: TaxRounding = .halfAwayFromZero
        var basis: PriceBasis = .taxExclusive
    }

    /// A value outside Int64: the path of what produced it.
    struct Overflow: Error {
        let field: String
    }

    /// `numerator / denominator` (denominator > 0) rounded as `rounding` says: half
    /// away from zero, toward zero (down) or away from zero (up).
    static func divide(_ numerator: Int128, by denominator: Int128, rounding: TaxRounding = .halfAwayFromZero) -> Int128 {
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        guard remainder != 0 else { return quotient }
        let away = numerator < 0 ? quotient - 1 : quotient + 1
        switch rounding {
        case .down: return quotient
        case .up: return away
        default: return 2 * remainder.magnitude >= denominator.magnitude ? away : quotient
        }
    }

    /// Fills every computed field of `quote` (lines, tax lines, totals, effective
    /// discount) from its lines, the rate each line applies (`rates[i]`) and `rules`.
    /// - Throws: `Overflow` naming the line or total that does not fit in Int64.
    static func compute(_ quote: inout Quote, rates: [Int32], rules: TaxRules) throws(Overflow) {
        let currency = quote.currencyCode
        func money(_ value: Int128, _ field: String) throws(Overflow) -> Money {
            guard let minor = Int64(exactly: value) else { throw Overflow(field: field) }
            return Money(currencyCode: currency, amountMinor: minor)
        }
        var subtotal: Int128 = 0
        var discountTotal: Int128 = 0
        var bases: [Int32: Int128] = [:]
        var lineTaxes: [Int32: Int128] = [:]
        var listTotal: Int128 = 0
        var itemsNet: Int128 = 0
        var largestLineDiscount: Int128 = 0
        for index in quote.lines.indices {
            let field = "quote.lines[\(index)]"
            var line = quote.lines[index]
            let kind = line.kind == .unspecified ? QuoteLineKind.item : line.kind
            let rate = rates[index]
            let extended = divide(Int128(line.quantityMilli) * Int128(line.unitPrice?.amountMinor ?? 0), by: 1000)
            var gross: Int128 = 0
            var discount: Int128 = 0
            switch kind {
            case .discount:
                discount = extended
            case .text:
                break
            default:
                gross = extended
                discount = divide(gross * Int128(line.discountBps), by: 10_000)
            }
            let net = gross - discount
            line.grossAmount = try money(gross, field + ".unit_price")
            line.discountAmount = try money(discount, field + ".discount_bps")
            line.netAmount = try money(net, field + ".unit_price")
            line.appliedTaxRateBps = kind == .text ? 0 : rate
            var tax: Int128 = 0
            if kind != .text {
                bases[rate, default: 0] += net
                if rules.calculation != .perRate {
                    tax = Self.tax(on: net, rate: rate, rules: rules)
                    lineTaxes[rate, default: 0] += tax
                }
            }
            line.taxAmount = try money(tax, field + ".unit_price")
            line.totalAmount = try money(rules.basis == .taxInclusive ? net : net + tax, field + ".unit_price")
            line.effectiveDiscountBps = 0
            if kind == .item {
                let reference = Self.reference(line)
                guard Int64(exactly: reference) != nil else { throw Overflow(field: field + ".list_price") }
                listTotal += reference
                if reference > 0 {
                    let effective = divide((reference - net) * 10_000, by: reference)
                    line.effectiveDiscountBps = Int32(clamping: effective)
                    largestLineDiscount = max(largestLineDiscount, effective)
                }
            }
            if kind == .item || kind == .discount { itemsNet += net }
            subtotal += gross
            discountTotal += discount
            quote.lines[index] = line
        }
        var taxLines: [QuoteTaxLine] = []
        var taxTotal: Int128 = 0
        for rate in bases.keys.sorted() {
            let base = bases[rate]!
            let tax = rules.calculation == .perRate ? Self.tax(on: base, rate: rate, rules: rules) : lineTaxes[rate] ?? 0
            let taxable = rules.basis == .taxInclusive ? base - tax : base
            taxLines.append(QuoteTaxLine(rateBps: rate, taxableAmount: try money(taxable, "quote.lines"), taxAmount: try money(tax, "quote.lines")))
            taxTotal += tax
        }
        let amounts = subtotal - discountTotal
        quote.subtotal = try money(subtotal, "quote.lines")
        quote.discountTotal = try money(discountTotal, "quote.lines")
        quote.taxTotal = try money(taxTotal, "quote.lines")
        quote.netTotal = try money(rules.basis == .taxInclusive ? amounts - taxTotal : amounts, "quote.lines")
        quote.grandTotal = try money(rules.basis == .taxInclusive ? amounts : amounts + taxTotal, "quote.lines")
        quote.taxLines = taxLines
        // The document's discount: what the items (after discount lines) come to,
        // against what they come to at list price.
        let documentDiscount = listTotal > 0 ? divide((listTotal - itemsNet) * 10_000, by: listTotal) : 0
        quote.effectiveDiscountBps = Int32(clamping: max(largestLineDiscount, documentDiscount))
    }

    /// An item line at list price (its unit price without one): what its discount is
    /// measured against.
    static func reference(_ line: QuoteLine) -> Int128 {
        divide(Int128(line.quantityMilli) * Int128((line.listPrice ?? line.unitPrice)?.amountMinor ?? 0), by: 1000)
    }

    /// Whether any item line, or the document as a whole, is discounted more than
    /// `thresholdBps` against list price: compared exactly, not on rounded basis
    /// points, on a quote `compute` priced (so every line's reference fits in Int64).
    static func exceeds(_ quote: Quote, thresholdBps: Int32) -> Bool {
        var listTotal: Int128 = 0
        var itemsNet: Int128 = 0
        for line in quote.lines {
            let kind = line.kind == .unspecified ? QuoteLineKind.item : line.kind
            let net = Int128(line.netAmount?.amountMinor ?? 0)
            if kind == .item {
                let reference = Self.reference(line)
                if (reference - net) * 10_000 > Int128(thresholdBps) * reference { return true }
                listTotal += reference
            }
            if kind == .item || kind == .discount { itemsNet += net }
        }
        return (listTotal - itemsNet) * 10_000 > Int128(thresholdBps) * listTotal
    }

    /// The tax in `amount` (tax-inclusive) or on it (tax-exclusive) at `rate` basis points.
    static func tax(on amount: Int128, rate: Int32, rules: TaxRules) -> Int128 {
        rules.basis == .taxInclusive
            ? divide(amount * Int128(rate), by: 10_000 + Int128(rate), rounding: rules.rounding)
            : divide(amount * Int128(rate), by: 10_000, rounding: rules.rounding)
    }
}
