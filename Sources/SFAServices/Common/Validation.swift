import Crypto
import Foundation
import SFAStubs

/// Collects every problem of a request, so that one INVALID_ARGUMENT lists them all.
struct Validation {
    private(set) var violations: [FieldViolation] = []

    mutating func check(_ condition: Bool, _ field: String, _ reason: ViolationReason, _ description: String) {
        if !condition { violations.append(FieldViolation(field, reason, description)) }
    }

    /// A required, bounded text without control characters (protobuf-c cuts strings at NUL).
    mutating func text(_ value: String, _ field: String, required: Bool = true, maximumLength: Int = 200) {
        text(value, field, required: required, maximumLength: maximumLength, printable: Self.isPrintableASCII(value))
    }

    /// `text`, told whether `value` is printable ASCII. Printable ASCII, most text, is
    /// checked on its bytes: each byte is one character and none is a control. Other
    /// text takes the Unicode path: a count of grapheme clusters and each scalar's
    /// general category, which cost more than the rest of a create's validation.
    private mutating func text(_ value: String, _ field: String, required: Bool, maximumLength: Int, printable: Bool) {
        if value.isEmpty {
            check(!required, field, .required, "is required")
            return
        }
        check((printable ? value.utf8.count : value.count) <= maximumLength, field, .tooLong, "is longer than \(maximumLength) characters")
        check(printable || !value.unicodeScalars.contains { $0.properties.generalCategory == .control }, field, .invalidFormat, "contains control characters")
    }

    mutating func email(_ value: String, _ field: String, required: Bool = true) {
        let printable = Self.isPrintableASCII(value)
        text(value, field, required: required, maximumLength: 254, printable: printable)
        guard !value.isEmpty else { return }
        check(printable ? Self.isASCIIEmail(value) : Self.isEmail(value), field, .invalidFormat, "is not an email address")
    }

    /// One `@` with text before it, and after it a domain with a dot neither first nor
    /// last; no space anywhere.
    private static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !value.contains(" ")
    }

    /// `isEmail` on the bytes of printable ASCII, where characters are bytes.
    private static func isASCIIEmail(_ value: String) -> Bool {
        let bytes = value.utf8
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), at != bytes.startIndex else { return false }
        let domain = bytes[bytes.index(after: at)...]
        return !domain.contains(UInt8(ascii: "@")) && !bytes.contains(UInt8(ascii: " ")) && domain.contains(UInt8(ascii: "."))
            && domain.first != UInt8(ascii: ".") && domain.last != UInt8(ascii: ".")
    }

    /// Whether every byte of `value` is printable ASCII (space to tilde).
    static func isPrintableASCII(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in bytes.allSatisfy { (0x20...0x7E).contains($0) } }
    }

    /// A phone number: digits with optional `+ - ( ) .` and spaces, 5 to 20 digits.
    mutating func phone(_ value: String, _ field: String) {
        guard !value.isEmpty else { return }
        let allowed = Set("0123456789+-(). ")
        let digits = value.filter(\.isNumber).count
        check(value.count <= 40 && value.allSatisfy(allowed.contains) && (5...20).contains(digits), field, .invalidFormat, "is not a phone number")
    }

    /// Custom fields: at most 50, keys of 1–64 characters, values of at most 1,000.
    mutating func customFields(_ fields: [String: String], _ field: String) {
        check(fields.count <= 50, field, .tooMany, "has more than 50 entries")
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            text(key, "\(field).key", maximumLength: 64)
            text(value, "\(field)[\(key)]", required: false, maximumLength: 1000)
        }
    }

    /// An enum value that is set and known.
    mutating func known<E: ProtoEnum>(_ value: E, _ field: String, required: Bool = true) {
        if value.rawValue == 0 {
            check(!required, field, .unknownValue, "is required")
        } else {
            check(E.allCases.contains(value), field, .unknownValue, "is not a known value")
        }
    }

    /// Throws INVALID_ARGUMENT listing every violation, if there is any.
    func throwIfInvalid(_ message: String = "the request is not valid") throws {
        guard violations.isEmpty else { throw RPCError.invalidArgument(message, violations: violations) }
    }
}

/// The SHA-256 of an encoded request, to recognise a retry under an idempotency key.
func requestDigest(_ request: some ProtoMessage) -> [UInt8] {
    Array(SHA256.hash(data: Data(request.serializedBytes())))
}

/// Milliseconds since 1970.
func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
