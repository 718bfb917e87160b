import SFAStubs

/// The one rounding of every analytics division: exact in 128 bits, then half away
/// from zero. A figure over a denominator of 0 is 0 (no deals, no rate).
enum AnalyticsMath {
    /// `numerator / denominator`, rounded half away from zero; 0 when the denominator is 0.
    static func divide(_ numerator: Int128, by denominator: Int128) -> Int128 {
        guard denominator != 0 else { return 0 }
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        // |remainder| ≥ |denominator| / 2, compared without halving (exact for odd denominators).
        guard remainder.magnitude * 2 >= denominator.magnitude else { return quotient }
        return (numerator < 0) != (denominator < 0) ? quotient - 1 : quotient + 1
    }

    /// The mean of `count` values summing to `sum`.
    static func mean(_ sum: Int64, _ count: Int64) -> Int64 {
        Int64(divide(Int128(sum), by: Int128(count)))
    }

    /// `part / whole` in basis points (10000 = 100 %).
    static func bps(_ part: Int64, of whole: Int64) -> Int32 {
        Int32(divide(Int128(part) * 10_000, by: Int128(whole)))
    }

    /// The product of `factors` divided by the product of `divisors`, rounded once.
    /// - Throws: OUT_OF_RANGE when an intermediate product leaves 128 bits or the
    ///   result leaves 64 bits (money sums of that size are not real).
    static func ratio(_ factors: [Int64], over divisors: [Int64], field: String) throws -> Int64 {
        func product(_ values: [Int64]) throws -> Int128 {
            try values.reduce(Int128(1)) { result, value in
                let (next, overflow) = result.multipliedReportingOverflow(by: Int128(value))
                guard !overflow else { throw outOfRange(field) }
                return next
            }
        }
        let result = divide(try product(factors), by: try product(divisors))
        guard let exact = Int64(exactly: result) else { throw outOfRange(field) }
        return exact
    }

    private static func outOfRange(_ field: String) -> RPCError {
        RPCError(code: .outOfRange, message: "\(field) does not fit in 64 bits", details: ErrorDetails(reason: "OUT_OF_RANGE"))
    }
}
