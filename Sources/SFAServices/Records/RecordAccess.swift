import GRDB
import SFAStorage
import SFAStubs

/// What one call may see and change in its tenant: the caller, its scope on the
/// method, and for `.team` the users of its team. Turned into a WHERE condition, so
/// that scope is enforced by the query itself — lists included — never by filtering
/// afterwards.
struct RecordAccess: Sendable {
    let principal: Principal
    let tenantID: String
    /// For `.team`: the caller, the users it manages and the users of its team (records
    /// with no owner are in a team scope too: the lead routing queue).
    let teamUserIDs: [String]

    /// The access of the call in `context`.
    /// - Throws: UNAUTHENTICATED without a principal, PERMISSION_DENIED for callers
    ///   without a tenant (operators never reach business data).
    static func of(_ context: ServerContext, controlPlane: ControlPlane) async throws -> RecordAccess {
        try await of(context.requirePrincipal(), controlPlane: controlPlane)
    }

    /// The access of the call in `context` to records it reads or changes as a side
    /// effect, as `method` would allow the same key: conversion finds an existing
    /// account as GetAccount would (reps read every account) and fills its empty fields
    /// only as far as UpdateAccount would reach. Nil when the key may not call `method`.
    static func of(_ context: ServerContext, actingAs method: MethodDescriptor, controlPlane: ControlPlane) async throws -> RecordAccess? {
        var principal = try context.requirePrincipal()
        guard let scope = grantedScope(principal, on: method) else { return nil }
        principal.scope = scope
        return try await of(principal, controlPlane: controlPlane)
    }

    /// The scope the key of `principal` has on `method` (nil when it may not call it).
    static func grantedScope(_ principal: Principal, on method: MethodDescriptor) -> RecordScope? {
        principal.viewerKey
            ? PermissionTable.scope(of: principal.role, narrowedTo: .viewer, for: method.fullName)
            : PermissionTable.scope(of: principal.role, for: method.fullName)
    }

    /// The access of the call in `context` narrowed to `scope` where its grant reaches
    /// further: a tenant setting that narrows reads (daily report visibility).
    static func of(_ context: ServerContext, narrowedTo scope: RecordScope, controlPlane: ControlPlane) async throws -> RecordAccess {
        var principal = try context.requirePrincipal()
        principal.scope = min(principal.scope, scope)
        return try await of(principal, controlPlane: controlPlane)
    }

    /// Refuses a side-effect change of a record (owned by `ownerUserID`, created by
    /// `createdByUserID`) that `access`, from ``of(_:actingAs:controlPlane:)``, does not reach.
    static func requireChangeable(_ access: RecordAccess?, ownerUserID: String, createdByUserID: String, what: String) throws {
        guard let access, access.contains(ownerUserID: ownerUserID, createdByUserID: createdByUserID) else {
            throw RPCError(
                code: .permissionDenied,
                message: "converting would change the \(what), which you may not change; convert without merging into it",
                details: ErrorDetails(reason: "MERGE_NOT_ALLOWED")
            )
        }
    }

    private static func of(_ principal: Principal, controlPlane: ControlPlane) async throws -> RecordAccess {
        guard let tenantID = principal.tenantID else {
            throw RPCError(code: .permissionDenied, message: "operators have no access to tenant business data")
        }
        var team: [String] = []
        if principal.scope == .team {
            team = try await controlPlane.userIDs(tenantID: tenantID, scope: .team(userID: principal.userID, teamID: principal.teamID))
        }
        return RecordAccess(principal: principal, tenantID: tenantID, teamUserIDs: team)
    }

    /// The scope condition on the rows of `Record`'s table, as SQL text with its
    /// arguments. The text depends only on the kind of scope, so statements that
    /// embed it are prepared once and reused; a team's users are one JSON argument.
    func scope<Record: TenantRecord>(_: Record.Type) -> (sql: String, arguments: StatementArguments) {
        guard Record.ownership == .owned else { return ("1", []) }
        switch principal.scope {
        case .all:
            return ("1", [])
        case .team:
            // Unassigned records (leads waiting for routing) are the team's too: a
            // manager sees the queue it routes from.
            return ("(owner_user_id IN (SELECT value FROM json_each(?)) OR owner_user_id = '')", [SQLJSON.array(teamUserIDs)])
        case .own:
            return (principal.role == .partner ? "\(Record.partnerScopeColumn) = ?" : "owner_user_id = ?", [principal.userID])
        }
    }

    /// ``scope(_:)`` widened for reads to the records that list the caller among their
    /// readers (`readersColumn`: the attendees of a meeting read it).
    func readScope<Record: TenantRecord>(_: Record.Type) -> (sql: String, arguments: StatementArguments) {
        let scope = scope(Record.self)
        guard let column = Record.readersColumn, principal.scope != .all else { return scope }
        return ("(\(scope.sql) OR EXISTS (SELECT 1 FROM json_each(\(column)) WHERE value = ?))", scope.arguments + [principal.userID])
    }

    /// The derived columns of `Record` this caller reads as 0: the record type's
    /// partner-hidden ones for a partner key, none otherwise.
    func hiddenColumns<Record: TenantRecord>(_: Record.Type) -> Set<String> {
        principal.role == .partner ? Record.partnerHiddenColumns : []
    }

    /// Whether a record with this owner and creator is within scope.
    func contains(ownerUserID: String, createdByUserID: String) -> Bool {
        switch principal.scope {
        case .all: true
        case .team: ownerUserID.isEmpty || teamUserIDs.contains(ownerUserID)
        case .own: principal.role == .partner ? createdByUserID == principal.userID : ownerUserID == principal.userID
        }
    }

    /// Whether the caller may make `userID` the owner of a record.
    func mayAssign(to userID: String) -> Bool {
        switch principal.scope {
        case .all: true
        case .team: teamUserIDs.contains(userID)
        case .own: userID == principal.userID
        }
    }
}
