import Foundation

extension Double {
    func formatted(decimals: Int) -> String {
        guard isFinite else { return "-" }
        return String(format: "%.\(decimals)f", self)
    }
}

extension Int {
    func formatted(width: Int) -> String { String(self).formatted(width: width) }
}

extension String {
    /// Right-aligned in `width` columns.
    func formatted(width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// Left-aligned in `width` columns.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

extension Optional<Double> {
    /// One decimal, right-aligned in `width` columns; `-` for nil.
    func cell(width: Int) -> String {
        (map { $0.formatted(decimals: 1) } ?? "-").formatted(width: width)
    }
}
