public import SFAMessages

/// Why a field was refused: the machine-readable `reason` of every `FieldViolation`
/// (docs/protocol.md §3.4). Clients branch on it; the description is for people.
public enum ViolationReason: String, CaseIterable, Sendable {
    /// The field must be set.
    case required = "REQUIRED"
    /// A text is longer than its limit.
    case tooLong = "TOO_LONG"
    /// A list or map has more entries than its limit.
    case tooMany = "TOO_MANY"
    /// The value is not of the field's form (email, phone, id, date, code, key,
    /// control characters, page token).
    case invalidFormat = "INVALID_FORMAT"
    /// A number outside its range (negative, past, above a maximum).
    case outOfRange = "OUT_OF_RANGE"
    /// An enum value that is unset where one is needed or that the server does not know.
    case unknownValue = "UNKNOWN_VALUE"
    /// A value that appears twice where it must be unique, or is already in use.
    case duplicate = "DUPLICATE"
    /// The record or name the field refers to does not exist (or is not visible).
    case notFound = "NOT_FOUND"
    /// The record the field refers to is archived.
    case archived = "ARCHIVED"
    /// The pipeline stage (or tenant list entry) the field names is retired: kept for
    /// history, no longer usable.
    case retired = "RETIRED"
    /// A valid value the caller may not use here (a status set by its own
    /// transition, an owner outside the caller's scope, a field a method does not change).
    case notAllowed = "NOT_ALLOWED"
    /// An update mask names something that is not a field of the message.
    case unknownField = "UNKNOWN_FIELD"
    /// Fields that are each valid contradict each other or the stored record.
    case inconsistent = "INCONSISTENT"
}

extension FieldViolation {
    /// A violation of `field` for `reason`, with a description for people.
    public init(_ field: String, _ reason: ViolationReason, _ description: String) {
        self.init(field: field, description: description, reason: reason.rawValue)
    }
}
