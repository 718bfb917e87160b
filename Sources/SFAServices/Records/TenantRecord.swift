import GRDB
import SFAStorage
import SFAStubs

/// A business record of a tenant, stored whole (`data`: the encoded message) in its
/// own table beside `id`, `version` and the columns its filters, scope checks and
/// duplicate checks query.
///
/// Declaring a conformance is what a new record type needs for `TenantStore`'s
/// generic get, create, update, transition, archive and list, which apply scope,
/// version, writability, validation, idempotency and audit in one place.
protocol TenantRecord: ProtoMessage {
    /// The table, e.g. "account".
    static var table: String { get }
    /// The kind audit events name.
    static var recordKind: RecordKind { get }
    /// The prefix of server-made ids, e.g. "acct".
    static var idPrefix: String { get }
    /// The request field holding the record, which prefixes violation paths ("account").
    static var fieldPath: String { get }
    /// Fields callers set on create and may change with the record's update method.
    static var updatable: Set<String> { get }
    /// Fields callers set on create: `updatable` unless the record says otherwise.
    static var creatable: Set<String> { get }
    /// Whether the caller's scope (own, team) narrows which rows it sees.
    static var ownership: RecordOwnership { get }

    var id: String { get set }
    var version: Int64 { get set }
    var createTimeMs: Int64 { get set }
    var updateTimeMs: Int64 { get set }

    /// The row's queryable columns besides `id`, `version` and `data`; for owned
    /// records they include `owner_user_id` and `created_by_user_id`.
    var columns: [String: (any DatabaseValueConvertible)?] { get }

    /// Adds a violation for every field that breaks the record's rules; `prefix` is
    /// the path of the record in the request ("account.", "leads[3].").
    func validate(prefix: String, into validation: inout Validation)

    /// Throws FAILED_PRECONDITION when the record may no longer change (archived,
    /// converted).
    func requireWritable() throws

    /// The owner and creator of an owned record (nil for tenant-wide ones, where
    /// setting them does nothing): what the engine stamps on create and checks when
    /// the owner changes.
    var recordOwner: String? { get set }
    var recordCreator: String? { get set }

    /// The team of an owned record's owner when the record keeps it (nil otherwise):
    /// stamped from the owner on create and whenever the owner changes, so roll-ups
    /// keep the team that owned the record when a user later changes team.
    var recordTeam: String? { get set }

    /// The column a partner key's `.own` scope compares with its user id: the records
    /// it created, unless the record type traces them otherwise (opportunities: the
    /// partner whose lead they came from).
    static var partnerScopeColumn: String { get }

    /// Columns holding fields derived from other records and kept outside the
    /// versioned record (an opportunity's last and next activity time), each named as
    /// its field: written by plain UPDATEs that leave the version alone, merged into
    /// the record on every read, and never stored in `data`.
    static var derivedColumns: [String] { get }

    /// Derived columns a partner key never reads (they come from records it does not
    /// read): every read through the engine returns them as 0 to a partner
    /// (`RecordAccess.hiddenColumns`).
    static var partnerHiddenColumns: Set<String> { get }

    /// A JSON array column of users who read the record besides those its scope
    /// reaches (the people who attended a meeting), or nil.
    static var readersColumn: String? { get }

    /// Runs in the transaction of every create (`before` nil) and change of the
    /// record, once it is stored, for rows that follow a record's changes (opportunity
    /// stage history, a deal's activity times) and for rules no change may skip (a
    /// record a submitted daily report covers is locked); throwing undoes the write.
    /// A hook that changes one of the record's own derived columns sets it on `after`
    /// too, so the reply, the audit event and the feed show what is stored.
    static func recordChanged(_ db: Database, from before: Self?, to after: inout Self, by userID: String) throws
}

extension TenantRecord {
    static var creatable: Set<String> { updatable }

    static var partnerScopeColumn: String { "created_by_user_id" }

    static var derivedColumns: [String] { [] }

    static var partnerHiddenColumns: Set<String> { [] }

    static var readersColumn: String? { nil }

    var recordTeam: String? {
        get { nil }
        set {}
    }

    static func recordChanged(_ db: Database, from before: Self?, to after: inout Self, by userID: String) throws {}

    var recordOwner: String? {
        get { nil }
        set {}
    }

    var recordCreator: String? {
        get { nil }
        set {}
    }

    /// A new record holding only the creatable fields of `proposed`: whatever the
    /// server sets (id, version, times, creator, derived state) starts at its default.
    static func proposed(_ proposed: Self?) throws -> Self {
        var record = Self()
        try record.merge(from: proposed ?? Self(), fields: creatable)
        return record
    }
}

/// How the caller's scope applies to a record type.
enum RecordOwnership {
    /// Rows carry `owner_user_id` and `created_by_user_id`; `.own` and `.team` scopes
    /// narrow what a caller sees (see `RecordAccess`).
    case owned
    /// Shared by the tenant (teams): the permission table alone decides.
    case tenantWide
}

/// A record with an owner, which owned-record scopes apply to.
protocol OwnedRecord: TenantRecord {
    var ownerUserId: String { get set }
    var createdByUserId: String { get set }
}

extension OwnedRecord {
    static var ownership: RecordOwnership { .owned }

    var recordOwner: String? {
        get { ownerUserId }
        set { ownerUserId = newValue ?? "" }
    }

    var recordCreator: String? {
        get { createdByUserId }
        set { createdByUserId = newValue ?? "" }
    }
}

/// A record that is archived rather than deleted; archived records are read-only.
protocol ArchivableRecord: TenantRecord {
    var archived: Bool { get set }
}

extension ArchivableRecord {
    func requireWritable() throws {
        guard !archived else {
            throw StorageError.failedPrecondition(reason: "ARCHIVED", message: "the \(Self.table) is archived")
        }
    }
}
