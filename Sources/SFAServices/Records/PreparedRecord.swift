import SFAStorage
import SFAStubs

/// A new record, stamped (`TenantStore.stamped`), with what storing it needs that
/// depends on the record alone worked out before its write is queued: its row
/// (columns, keys, encoding, statement text), the changes its creation audit event
/// lists, and whether it passes validation.
///
/// Every write of a tenant file runs on the file's one writer, one after another
/// (group commit), so what runs there bounds the file's writes per second; what runs
/// before runs on the calling task, beside the other calls. Inside the write the
/// record may still change (links filled in from other records, the tenant's custom
/// status applied): what was worked out is used only for the very record it was
/// worked out from, and worked out again otherwise, so what is stored is the same.
struct PreparedRecord<R: TenantRecord>: Sendable {
    private struct WorkedOut: Sendable {
        let row: RecordRow
        let changes: [FieldChange]
        let valid: Bool
    }

    let record: R
    private let workedOut: WorkedOut?
    private let describe: @Sendable (R) -> [FieldChange]

    /// - Parameter describe: the changes a creation's audit event lists (by default
    ///   every field set, as `FieldDiff` gives them).
    init(_ record: R, describe: (@Sendable (R) -> [FieldChange])? = nil) throws {
        let describe = describe ?? Self.everyField
        var validation = Validation()
        record.validate(prefix: R.fieldPath + ".", into: &validation)
        self.record = record
        self.describe = describe
        workedOut = WorkedOut(row: try RecordRow(record), changes: describe(record), valid: validation.violations.isEmpty)
    }

    private init(unprepared record: R) {
        self.record = record
        describe = Self.everyField
        workedOut = nil
    }

    /// Every field set, as `FieldDiff` gives them: a creation's audit changes by default.
    private static var everyField: @Sendable (R) -> [FieldChange] {
        { FieldDiff.changes(R(), $0) }
    }

    /// `record` with nothing worked out: for a record a write makes from what it
    /// reads, where all of it is worked out in the transaction anyway.
    static func unprepared(_ record: R) -> Self {
        Self(unprepared: record)
    }

    /// The row of `current`, the record as the write is about to store it.
    func row(for current: R) throws -> RecordRow {
        if let workedOut, current == record { return workedOut.row }
        return try RecordRow(current)
    }

    /// The audit changes of creating `current`.
    func changes(for current: R) -> [FieldChange] {
        if let workedOut, current == record { return workedOut.changes }
        return describe(current)
    }

    /// Whether `current` is known to pass validation without checking it again.
    func isKnownValid(_ current: R) -> Bool {
        workedOut?.valid == true && current == record
    }
}
