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
        if value.isEmpty {
            check(!required, field, .required, "is required")
            return
        }
        check(value.count <= maximumLength, field, .tooLong, "is longer than \(maximumLength) characters")
        check(!value.unicodeScalars.contains { $0.properties.generalCategory == .control }, field, .invalidFormat, "contains control characters")
    }

    mutating func email(_ value: String, _ field: String, required: Bool = true) {
        text(value, field, required: required, maximumLength: 254)
        guard !value.isEmpty else { return }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let valid = parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !value.contains(" ")
        check(valid, field, .invalidFormat, "is not an email address")
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
