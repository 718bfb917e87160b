import SFAStorage
import SFAStubs

extension TenantStore {
    /// The owner a new or reassigned record gets: `requested`, or the caller when
    /// empty. The owner must be an active user of the tenant within the caller's scope.
    func owner(_ requested: String, access: RecordAccess, field: String) async throws -> String {
        let owner = requested.isEmpty ? access.principal.userID : requested
        guard access.mayAssign(to: owner) else {
            throw RPCError.invalidArgument(
                "the owner is outside the caller's scope",
                violations: [FieldViolation(field, .notAllowed, "you may not assign records to \(owner)")]
            )
        }
        guard owner != access.principal.userID else { return owner }
        let user = try? await controlPlane.user(owner, tenantID: access.tenantID)
        guard let user, user.status == UserStatus.active.rawValue else {
            throw RPCError.invalidArgument("unknown owner", violations: [FieldViolation(field, .notFound, "no active user \(owner)")])
        }
        return owner
    }

    /// The team of `owner` (an active user `owner` returned): the caller's own from its
    /// key, anyone else's from the control plane.
    func ownerTeam(_ owner: String, access: RecordAccess) async throws -> String {
        guard owner != access.principal.userID else { return access.principal.teamID }
        return try await controlPlane.user(owner, tenantID: access.tenantID).teamID
    }

    /// The users of team `teamID` of the caller's tenant, for a list's team filter;
    /// nil when no team is asked for.
    func teamMembers(_ teamID: String, access: RecordAccess) async throws -> [String]? {
        teamID.isEmpty ? nil : try await controlPlane.teamMemberIDs(tenantID: access.tenantID, teamID: teamID)
    }
}
