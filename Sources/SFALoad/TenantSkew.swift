import Foundation

/// How calls are spread over the tenants of a run.
public enum TenantSkew: Sendable, Equatable, CustomStringConvertible {
    /// Every tenant equally often.
    case uniform
    /// Tenant of rank k (the first in the keys file is rank 1) with probability
    /// proportional to 1 / k^exponent: a few busy tenants and a long tail, as on a
    /// shared node.
    case zipf(exponent: Double)

    /// `uniform`, `zipf` (exponent 1) or `zipf:<exponent>`.
    public init?(_ text: String) {
        if text == "uniform" {
            self = .uniform
        } else if text == "zipf" {
            self = .zipf(exponent: 1)
        } else if text.hasPrefix("zipf:"), let exponent = Double(text.dropFirst(5)), exponent > 0 {
            self = .zipf(exponent: exponent)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .uniform: "uniform"
        case .zipf(let exponent): "zipf:\(exponent)"
        }
    }
}

/// Picks tenant indexes in 0..<count with a skew: uniform directly, Zipf by a binary
/// search of the cumulative distribution (computed once, 8 bytes per tenant).
public struct TenantPicker: Sendable {
    private let count: Int
    private let cumulative: [Double]?

    public init(count: Int, skew: TenantSkew) {
        self.count = max(1, count)
        switch skew {
        case .uniform:
            cumulative = nil
        case .zipf(let exponent):
            var sums: [Double] = []
            sums.reserveCapacity(self.count)
            var total = 0.0
            for rank in 1...self.count {
                total += 1 / pow(Double(rank), exponent)
                sums.append(total)
            }
            cumulative = sums.map { $0 / total }
        }
    }

    public func pick(using random: inout some RandomNumberGenerator) -> Int {
        guard let cumulative else { return Int.random(in: 0..<count, using: &random) }
        let target = Double.random(in: 0..<1, using: &random)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] <= target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
