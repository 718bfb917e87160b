import GRDB
import SFAStorage
import SFAStubs

/// The lifecycle every record type shares: services declare records and write their
/// rules; scope, version, writability, validation, idempotency and audit are applied
/// here, once.
extension TenantStore {
    /// The record with `id`, if the caller may read it (NOT_FOUND otherwise).
    func get<R: TenantRecord>(_: R.Type, id: String, access: RecordAccess) async throws -> R {
        try await getEncoded(R.self, id: id, access: access).decoded()
    }

    /// The stored encoding of the record with `id`, if the caller may see it (NOT_FOUND
    /// otherwise): a read that answers with the record sends these bytes as they are.
    func getEncoded<R: TenantRecord>(_: R.Type, id: String, access: RecordAccess) async throws -> EncodedMessage<R> {
        try await read(access) { db in
            guard let record = try RecordRows.findEncoded(db, R.self, id: id, scope: access.readScope(R.self), hiding: access.hiddenColumns(R.self)) else {
                throw StorageError.notFound(kind: R.table, id: id)
            }
            return record
        }
    }

    /// Stamps a new record (id, version 1, times; for owned records the caller as
    /// creator and the owner, checked as `owner` does, with the owner's team where the
    /// record keeps it), validates it whole, and inserts it with its audit event.
    /// `link` runs in the transaction first, for checks against other records and
    /// values derived from them.
    func create<R: TenantRecord>(
        _ proposed: R,
        access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage,
        link: @escaping @Sendable (Database, inout R) throws -> Void = { _, _ in }
    ) async throws -> R {
        let prepared = try PreparedRecord(Self.stamped(try await owned(proposed, access: access)))
        return try await write(access, context: context, request: request) { db, trail in
            try Self.insert(db, &trail, prepared, link: link)
        }
    }

    /// `proposed` with its owner (checked as `owner` does; empty means the caller), the
    /// owner's team where the record keeps one, and the caller as creator; unchanged
    /// for tenant-wide records.
    func owned<R: TenantRecord>(_ proposed: R, access: RecordAccess) async throws -> R {
        guard R.ownership == .owned else { return proposed }
        var record = proposed
        let owner = try await owner(proposed.recordOwner ?? "", access: access, field: R.fieldPath + ".owner_user_id")
        record.recordOwner = owner
        record.recordCreator = access.principal.userID
        if record.recordTeam != nil { record.recordTeam = try await ownerTeam(owner, access: access) }
        return record
    }

    /// The one way a new record is stored, inside a write transaction (ConvertLead
    /// creates its account, contact and opportunity through it too): id, version 1 and
    /// times stamped, `link` applied, validated whole, inserted, `recordChanged` run,
    /// audited.
    /// `id` is for a record another one must name in the same transaction before it
    /// exists (a quote's next revision); nil makes a new one.
    static func insert<R: TenantRecord>(
        _ db: Database,
        _ trail: inout AuditTrail,
        _ proposed: R,
        id: String? = nil,
        link: (Database, inout R) throws -> Void = { _, _ in }
    ) throws -> R {
        try insert(db, &trail, .unprepared(stamped(proposed, id: id)), link: link)
    }

    /// Stores a record prepared before the write was queued, as `insert` stores a
    /// proposed one: what the preparation worked out is reused when `link` leaves
    /// the record as it was.
    static func insert<R: TenantRecord>(
        _ db: Database,
        _ trail: inout AuditTrail,
        _ prepared: PreparedRecord<R>,
        link: (Database, inout R) throws -> Void = { _, _ in }
    ) throws -> R {
        var record = prepared.record
        // `link` fills what the record takes from others (a quote's currency from its
        // deal), so validation follows it; `link` must therefore be safe on input not
        // yet validated (no traps, no work unbounded by the input).
        try link(db, &record)
        if !prepared.isKnownValid(record) { try Self.validate(record) }
        try prepared.row(for: record).insert(db)
        try R.recordChanged(db, from: nil, to: &record, by: trail.principal.userID)
        trail.record(R.recordKind, record.id, .create, version: 1, changes: prepared.changes(for: record))
        return record
    }

    /// `proposed` as a new record: a new id (or `id`), version 1, created and updated now.
    static func stamped<R: TenantRecord>(_ proposed: R, id: String? = nil) -> R {
        var record = proposed
        let now = nowMs()
        record.id = id ?? RecordID.make(R.idPrefix)
        record.version = 1
        record.createTimeMs = now
        record.updateTimeMs = now
        return record
    }

    /// Applies the fields of `changes` named in `mask` to the stored record (the
    /// one with `changes.id`, at `changes.version`), then `rules` for what the record
    /// type checks or derives beyond its fields. A new owner in the mask must be an
    /// active user the caller may assign records to (empty means the caller).
    func update<R: TenantRecord>(
        _ changes: R,
        mask: UpdateMask<R>,
        access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage,
        rules: @escaping @Sendable (Database, R, inout R) throws -> Void = { _, _, _ in }
    ) async throws -> R {
        var changes = changes
        if R.ownership == .owned, mask.contains("owner_user_id") {
            let owner = try await owner(changes.recordOwner ?? "", access: access, field: R.fieldPath + ".owner_user_id")
            changes.recordOwner = owner
            if changes.recordTeam != nil { changes.recordTeam = try await ownerTeam(owner, access: access) }
        }
        let checked = changes
        return try await modify(R.self, id: checked.id, version: checked.version, action: .update, access: access, context: context, request: request) {
            db, before, after in
            try mask.apply(checked, to: &after)
            if mask.contains("owner_user_id") { after.recordTeam = checked.recordTeam }
            try rules(db, before, &after)
        }
    }

    /// Reads the record within scope, refuses it when read-only or when `version` is
    /// not its current version, lets `change` modify it, validates the result whole,
    /// and stores it with a new version and an audit event listing every field that
    /// changed; then `then` runs in the same transaction, for what the change does to
    /// other records (a presented quote moving its deal).
    func modify<R: TenantRecord>(
        _: R.Type,
        id: String,
        version: Int64,
        action: AuditAction,
        access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage,
        change: @escaping @Sendable (Database, R, inout R) throws -> Void,
        then: @escaping @Sendable (Database, inout AuditTrail, R) throws -> Void = { _, _, _ in }
    ) async throws -> R {
        try await write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, R.self, id: id, access: access)
            try before.requireWritable()
            let after = try Self.commit(db, &trail, before: before, version: version, action: action, access: access) { after in
                try change(db, before, &after)
            }
            try then(db, &trail, after)
            return after
        }
    }

    /// Archives a record the caller may see; archiving an archived record changes
    /// nothing (and so does not need the current version).
    func archive<R: ArchivableRecord>(
        _: R.Type,
        id: String,
        version: Int64,
        access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage
    ) async throws -> R {
        try await write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, R.self, id: id, access: access)
            guard !before.archived else { return before }
            return try Self.commit(db, &trail, before: before, version: version, action: .archive, access: access) { after in
                after.archived = true
            }
        }
    }

    private static func validate<R: TenantRecord>(_ record: R) throws {
        var validation = Validation()
        record.validate(prefix: R.fieldPath + ".", into: &validation)
        try validation.throwIfInvalid()
    }

    /// The one way a stored record changes, inside a write transaction: refuses
    /// `before` at another version than `version`, lets `change` modify a copy,
    /// refuses a new owner outside the caller's reach, validates the result whole,
    /// and stores it with a new version and an audit event listing every field that
    /// changed. A change that changes nothing is not written: the record is returned
    /// as it was, at its version. Services call it directly for records a write
    /// changes as a side effect (the pipeline that stops being the default).
    static func commit<R: TenantRecord>(
        _ db: Database,
        _ trail: inout AuditTrail,
        before: R,
        version: Int64,
        action: AuditAction,
        access: RecordAccess,
        change: (inout R) throws -> Void
    ) throws -> R {
        guard before.version == version else {
            throw StorageError.staleVersion(kind: R.table, id: before.id, current: before.version)
        }
        var after = before
        try change(&after)
        guard after != before else { return before }
        if let owner = after.recordOwner, owner != before.recordOwner, !access.mayAssign(to: owner) {
            throw RPCError.invalidArgument(
                "the owner is outside the caller's scope",
                violations: [FieldViolation(R.fieldPath + ".owner_user_id", .notAllowed, "you may not assign records to \(owner)")]
            )
        }
        try Self.validate(after)
        after.id = before.id
        after.version = before.version + 1
        after.updateTimeMs = nowMs()
        try RecordRows.update(db, after, expectedVersion: before.version)
        try R.recordChanged(db, from: before, to: &after, by: trail.principal.userID)
        trail.record(R.recordKind, before.id, action, version: after.version, changes: FieldDiff.changes(before, after))
        return after
    }
}
