/// Why a storage operation did not happen. The service layer maps each case to an
/// RPC status (NOT_FOUND, ABORTED, ALREADY_EXISTS, FAILED_PRECONDITION, INVALID_ARGUMENT,
/// and for the tenant file's own failures DATA_LOSS, RESOURCE_EXHAUSTED, UNAVAILABLE).
public enum StorageError: Error, Equatable, Sendable {
    /// No such record (or not one the caller may see).
    case notFound(kind: String, id: String)
    /// The record changed since the caller read it.
    case staleVersion(kind: String, id: String, current: Int64)
    /// A record with the same identity exists.
    case alreadyExists(kind: String, field: String)
    /// The record is not in a state that allows the change.
    case failedPrecondition(reason: String, message: String)
    /// The tenant database was written by a newer SalesWire and is left untouched.
    case schemaNewerThanCode(tenantID: String)
    /// A page token that this list did not issue.
    case invalidPageToken
    /// A negative page size.
    case invalidPageSize
    /// The tenant's file is damaged (not a database, or a corrupt page): nothing of it
    /// can be trusted until an operator restores it.
    case tenantDatabaseDamaged(tenantID: String)
    /// The disk holding the tenant's file is full: its writes fail until space is freed.
    case storageFull(tenantID: String)
    /// Another process holds a lock on the tenant's file (a `sqlite3` shell, a
    /// script; with `.shared` locking a replicator's long read): the call waited for
    /// the busy timeout, and the tenant's calls fail until that process lets go.
    case tenantDatabaseLocked(tenantID: String)
    /// The disk holding the control plane (`control.sqlite`) is full: writes of tenants,
    /// users, keys and limits fail until space is freed; reads, and so calls on
    /// existing keys, go on.
    case controlPlaneFull
}
