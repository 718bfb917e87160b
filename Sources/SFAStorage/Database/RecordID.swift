public import Foundation

/// Server-generated record ids: a kind prefix, then 26 characters of lower-case
/// Crockford base32 — 48 bits of milliseconds (so ids sort by creation time) and 80
/// random bits — e.g. `ten_01jd3k4m5n6p7q8r9s0t1v2w3x`.
public enum RecordID {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    /// A new id with `prefix` (`ten`, `user`, `key`, `lead`, …).
    public static func make(_ prefix: String, now: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        // The 80 random bits come from two words of a pool filled by the kernel.
        let random = IDRandomness.twoWords()
        var bytes = Array(prefix.utf8)
        bytes.reserveCapacity(bytes.count + 27)
        bytes.append(UInt8(ascii: "_"))
        for shift in stride(from: 45, through: 0, by: -5) {
            bytes.append(alphabet[Int((milliseconds >> UInt64(shift)) & 31)])
        }
        for index in 0..<16 {
            bytes.append(alphabet[Int(((index < 12 ? random.0 : random.1) >> UInt64(5 * (index % 12))) & 31)])
        }
        return String(decoding: bytes, as: UTF8.self)
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
