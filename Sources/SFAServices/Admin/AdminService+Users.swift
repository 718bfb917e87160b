import SFAStorage
public import SFAStubs

extension AdminService {
    /// Roles a tenant's users may have.
    static let tenantRoles: Set<Role> = [.admin, .manager, .rep, .marketing, .insideSales, .partner, .viewer]

    public func createUser(_ request: CreateUserRequest, context: ServerContext) async throws -> User {
        let principal = try context.requirePrincipal()
        let tenantID = try await targetTenant(request.tenantId, context)
        let user = request.user ?? User()
        var validation = Validation()
        Self.validate(user, into: &validation)
        try validation.throwIfInvalid()
        if !user.managerUserId.isEmpty { _ = try await controlPlane.user(user.managerUserId, tenantID: tenantID) }

        let row = UserRow.make(
            tenantID: tenantID,
            displayName: user.displayName,
            email: user.email.lowercased(),
            role: user.role,
            teamID: user.teamId,
            managerUserID: user.managerUserId,
            createdBy: principal.userID
        )
        let event = auditEvent(context, kind: .user, recordID: row.id, action: .create, version: 1, changes: [
            AuditLog.change("display_name", before: nil, after: row.displayName),
            AuditLog.change("email", before: nil, after: row.email),
            AuditLog.change("role", before: nil, after: "\(user.role)"),
        ])
        let replay: [UInt8]?
        do {
            replay = try await controlPlane.insertUser(row, idempotency: idempotentWrite(request, response: row.message, context), audit: event)
        } catch StorageError.alreadyExists(kind: "user", _) {
            throw StorageError.alreadyExists(kind: "user", field: "user.email")
        }
        guard let replay else {
            await deliverAudit(tenantID)
            return row.message
        }
        return try User(serializedBytes: replay)
    }

    public func getUser(_ request: GetUserRequest, context: ServerContext) async throws -> User {
        let tenantID = try await targetTenant(request.tenantId, context)
        let row = try await controlPlane.user(request.id, tenantID: tenantID)
        guard try userScope(context).contains(row) else { throw StorageError.notFound(kind: "user", id: request.id) }
        return row.message
    }

    public func listUsers(_ request: ListUsersRequest, context: ServerContext) async throws -> ListUsersResponse {
        let tenantID = try await targetTenant(request.tenantId, context)
        // Bounded before any SQL: a list of values is one SQL variable each.
        var validation = Validation()
        validation.bounded(request.roles.count, "roles")
        validation.text(request.query, "query", required: false, maximumLength: 200)
        validation.text(request.teamId, "team_id", required: false, maximumLength: 100)
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "").request
        let rows = try await controlPlane.listUsers(
            tenantID: tenantID,
            scope: try userScope(context),
            page: page,
            roles: Array(Set(request.roles.map(\.rawValue))),
            teamID: request.teamId,
            includeDeactivated: request.includeDeactivated,
            query: request.query
        )
        return ListUsersResponse(
            users: rows.map(\.message),
            nextPageToken: page.nextToken(lastID: rows.last?.id, count: rows.count)
        )
    }

    /// Fields UpdateUser changes; status changes through DeactivateUser.
    static let updatableUserFields: Set<String> = ["display_name", "email", "role", "team_id", "manager_user_id"]

    public func updateUser(_ request: UpdateUserRequest, context: ServerContext) async throws -> User {
        let tenantID = try await targetTenant(request.tenantId, context)
        let changes = request.user ?? User()
        let mask = try UpdateMask<User>(request.updateMask, updatable: Self.updatableUserFields, prefix: "user")
        if mask.contains("manager_user_id"), !changes.managerUserId.isEmpty {
            _ = try await controlPlane.user(changes.managerUserId, tenantID: tenantID)
        }
        let before = try await controlPlane.user(changes.id, tenantID: tenantID)
        guard try userScope(context).contains(before) else { throw StorageError.notFound(kind: "user", id: changes.id) }
        let audit: AuditRecorder<UserRow> = { before, after in
            self.auditEvent(context, kind: .user, recordID: after.id, action: .update, version: after.version, changes: FieldDiff.changes(before.message, after.message))
        }
        let after = try await controlPlane.updateUser(changes.id, tenantID: tenantID, expectedVersion: changes.version, audit: audit) { row in
            var user = row.message
            try mask.apply(changes, to: &user)
            var validation = Validation()
            Self.validate(user, into: &validation)
            try validation.throwIfInvalid()
            row.apply(user)
        }
        await deliverAudit(tenantID)
        return after.message
    }

    /// Checks the fields a tenant user is made of.
    static func validate(_ user: User, into validation: inout Validation) {
        validation.text(user.displayName, "user.display_name")
        validation.email(user.email, "user.email")
        validation.known(user.role, "user.role")
        if user.role != .unspecified, Role.allCases.contains(user.role) {
            validation.check(tenantRoles.contains(user.role), "user.role", .notAllowed, "must be a tenant role (admin … viewer)")
        }
        validation.text(user.teamId, "user.team_id", required: false, maximumLength: 100)
        validation.check(user.managerUserId.isEmpty || user.managerUserId != user.id, "user.manager_user_id", .inconsistent, "a user cannot manage itself")
    }

    /// Deactivates a user and revokes its keys: they stop working on their next call.
    public func deactivateUser(_ request: DeactivateUserRequest, context: ServerContext) async throws -> User {
        let tenantID = try await targetTenant(request.tenantId, context)
        let principal = try context.requirePrincipal()
        guard request.id != principal.userID else {
            throw StorageError.failedPrecondition(reason: "SELF_DEACTIVATION", message: "a user cannot deactivate itself")
        }
        let after = try await controlPlane.deactivateUser(request.id, tenantID: tenantID, expectedVersion: request.version) { _, after in
            self.auditEvent(context, kind: .user, recordID: after.id, action: .stateChange, version: after.version, changes: [
                AuditLog.change("status", before: "\(UserStatus.active)", after: "\(UserStatus.deactivated)")
            ])
        }
        await deliverAudit(tenantID)
        return after.message
    }

    /// Which users the caller may see, from its grant on the method.
    func userScope(_ context: ServerContext) throws -> UserScope {
        let principal = try context.requirePrincipal()
        switch principal.scope {
        case .all: return .all
        case .team: return .team(userID: principal.userID, teamID: principal.teamID)
        case .own: return .own(userID: principal.userID)
        }
    }
}

extension UserRow {
    var message: User {
        User(
            id: id,
            version: version,
            tenantId: tenantID ?? "",
            displayName: displayName,
            email: email,
            role: Role(rawValue: role),
            teamId: teamID,
            managerUserId: managerUserID,
            status: UserStatus(rawValue: status),
            createdByUserId: createdByUserID,
            createTimeMs: createTimeMs,
            updateTimeMs: updateTimeMs
        )
    }

    /// Takes the fields UpdateUser may change from `user` (emails compare lower-cased).
    mutating func apply(_ user: User) {
        displayName = user.displayName
        email = user.email.lowercased()
        role = user.role.rawValue
        teamID = user.teamId
        managerUserID = user.managerUserId
    }
}
