public import SFAStorage
public import SFAStubs

extension StorageError: RPCErrorConvertible {
    /// The status a caller sees for each storage refusal (SPEC §4, §5).
    public var rpcError: RPCError {
        switch self {
        case .notFound(let kind, let id):
            RPCError(code: .notFound, message: "no \(kind) \(id)", details: ErrorDetails(reason: "NOT_FOUND"))
        case .staleVersion(let kind, let id, let current):
            RPCError(
                code: .aborted,
                message: "the \(kind) \(id) changed since it was read (current version \(current)); read it again",
                details: ErrorDetails(reason: "STALE_VERSION", metadata: ["current_version": "\(current)"])
            )
        case .alreadyExists(let kind, let field):
            RPCError(
                code: .alreadyExists,
                message: "a \(kind) with this \(field) exists",
                details: ErrorDetails(reason: "ALREADY_EXISTS", fieldViolations: [FieldViolation(field, .duplicate, "already in use")])
            )
        case .failedPrecondition(let reason, let message):
            RPCError(code: .failedPrecondition, message: message, details: ErrorDetails(reason: reason))
        case .schemaNewerThanCode(let tenantID):
            RPCError(
                code: .failedPrecondition,
                message: "the database of tenant \(tenantID) was written by a newer SalesWire; it is left untouched",
                details: ErrorDetails(reason: "DATABASE_TOO_NEW")
            )
        case .invalidPageToken:
            RPCError.invalidArgument(
                "the page token is not valid for this list",
                violations: [FieldViolation("page_token", .invalidFormat, "not issued by this list with these filters")]
            )
        case .tenantDatabaseDamaged(let tenantID):
            RPCError(
                code: .dataLoss,
                message: "the database of tenant \(tenantID) is damaged and cannot be read; an operator restores it from a backup",
                details: ErrorDetails(reason: "TENANT_DATABASE_DAMAGED")
            )
        case .storageFull(let tenantID):
            RPCError(
                code: .resourceExhausted,
                message: "the disk holding the database of tenant \(tenantID) is full; nothing was written",
                details: ErrorDetails(reason: "STORAGE_FULL")
            )
        case .tenantDatabaseLocked(let tenantID):
            RPCError(
                code: .unavailable,
                message: "the database of tenant \(tenantID) is locked by another process; nothing was done, retry later",
                details: ErrorDetails(reason: "TENANT_DATABASE_LOCKED")
            )
        case .controlPlaneFull:
            RPCError(
                code: .resourceExhausted,
                message: "the disk holding the control plane is full; nothing was written",
                details: ErrorDetails(reason: "STORAGE_FULL")
            )
        case .invalidPageSize:
            RPCError.invalidArgument(
                "the page size is negative",
                violations: [FieldViolation("page_size", .outOfRange, "use 0 for the default (\(PageRequest.defaultSize)) or 1…\(PageRequest.maximumSize)")]
            )
        }
    }
}
