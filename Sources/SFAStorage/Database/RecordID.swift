public import Foundation

/// Server-generated record ids: a kind prefix, then 26 characters of lower-case
/// Crockford base32 — 48 bits of milliseconds (so ids sort by creation time) and 80
/// random bits — e.g. `ten_01jd3k4m5n6p7q8r9s0t1v2w3x`.
public enum RecordID {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// A new id with `prefix` (`ten`, `user`, `key`, `lead`, …).
    public static func make(_ prefix: String, now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var characters: [Character] = []
        characters.reserveCapacity(26)
        for shift in stride(from: 45, through: 0, by: -5) {
            characters.append(alphabet[Int((milliseconds >> UInt64(shift)) & 31)])
        }
        for _ in 0..<16 {
            characters.append(alphabet[Int(generator.next() & 31)])
        }
        return prefix + "_" + String(characters)
    }

    /// Whether `id` has the shape of a generated id with `prefix`. Only ids that pass
    /// this check ever become part of a file path.
    public static func isValid(_ id: String, prefix: String) -> Bool {
        // On UTF-8 bytes: ids are checked on every call, and Character-based
        // comparisons (grapheme breaking) would cost more than the rest.
        let bytes = id.utf8
        let head = prefix.utf8
        guard bytes.count == head.count + 27, bytes.starts(with: head), bytes[bytes.index(bytes.startIndex, offsetBy: head.count)] == UInt8(ascii: "_") else {
            return false
        }
        return bytes.dropFirst(head.count + 1).allSatisfy { (48...57).contains($0) || (97...122).contains($0) }
    }
}
