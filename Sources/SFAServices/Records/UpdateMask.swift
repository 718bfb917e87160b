import SFAStorage
import SFAStubs

/// An update mask checked against the record's fields (generated `fieldNames`) and
/// the fields its update method lets callers change: a misspelt field is refused,
/// never silently ignored.
struct UpdateMask<Record: ProtoMessage> {
    let fields: Set<String>

    /// - Parameters:
    ///   - paths: as sent; each may be prefixed with the record's request field ("account.name").
    ///   - updatable: what the method lets callers change.
    ///   - prefix: the record's request field.
    /// - Throws: INVALID_ARGUMENT for an empty mask, unknown fields and fields that cannot change.
    init(_ paths: [String], updatable: Set<String>, prefix: String) throws {
        var validation = Validation()
        validation.check(!paths.isEmpty, "update_mask", .required, "lists no field to change")
        validation.bounded(paths.count, "update_mask")
        let fields = Set(paths.map { $0.hasPrefix(prefix + ".") ? String($0.dropFirst(prefix.count + 1)) : $0 })
        for field in fields.sorted() where !updatable.contains(field) {
            let known = Record.fieldNames.contains(field)
            validation.check(false, "update_mask", known ? .notAllowed : .unknownField, known ? "\(field) cannot be changed here" : "\(field) is not a field of \(Record.protoName)")
        }
        try validation.throwIfInvalid()
        self.fields = fields
    }

    func contains(_ field: String) -> Bool { fields.contains(field) }

    /// Copies the masked fields of `changes` into `record` (init accepted only
    /// fields of the message, so this does not throw for a caller's mistake).
    func apply(_ changes: Record, to record: inout Record) throws {
        try record.merge(from: changes, fields: fields)
    }
}
