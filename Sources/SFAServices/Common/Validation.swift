import Crypto
import Foundation
import SFAStubs

/// Collects every problem of a request, so that one INVALID_ARGUMENT lists them all.
struct Validation {
    private(set) var violations: [FieldViolation] = []

    mutating func check(_ condition: Bool, _ field: String, _ description: String) {
        if !condition { violations.append(FieldViolation(field: field, description: description)) }
    }

    /// A required, bounded text without control characters (protobuf-c cuts strings at NUL).
    mutating func text(_ value: String, _ field: String, required: Bool = true, maximumLength: Int = 200) {
        if value.isEmpty {
            check(!required, field, "is required")
            return
        }
        check(value.count <= maximumLength, field, "is longer than \(maximumLength) characters")
        check(!value.unicodeScalars.contains { $0.properties.generalCategory == .control }, field, "contains control characters")
    }

    mutating func email(_ value: String, _ field: String, required: Bool = true) {
        text(value, field, required: required, maximumLength: 254)
        guard !value.isEmpty else { return }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let valid = parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !value.contains(" ")
        check(valid, field, "is not an email address")
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
