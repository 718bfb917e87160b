import SFAStorage
public import SFAStubs

extension AdminService {
    /// Issues a key for a user of the tenant. The secret is in this response only;
    /// the server keeps its SHA-256. Not idempotent by design: a retried call issues
    /// a second key (revoke the extra one), since replaying would mean storing the secret.
    public func issueApiKey(_ request: IssueApiKeyRequest, context: ServerContext) async throws -> IssueApiKeyResponse {
        let principal = try context.requirePrincipal()
        let tenantID = try await targetTenant(request.tenantId, context)
        var validation = Validation()
        validation.check(!request.userId.isEmpty, "user_id", .required, "is required")
        validation.text(request.displayName, "display_name", required: false, maximumLength: 100)
        validation.check(request.expireTimeMs == 0 || request.expireTimeMs > nowMs(), "expire_time_ms", .outOfRange, "is in the past")
        try validation.throwIfInvalid()
        let user = try await controlPlane.user(request.userId, tenantID: tenantID)
        guard user.status == UserStatus.active.rawValue else {
            throw StorageError.failedPrecondition(reason: "USER_DEACTIVATED", message: "the user is deactivated")
        }
        let userRole = Role(rawValue: user.role)
        let role = request.role == .unspecified ? userRole : request.role
        guard role == userRole || role == .viewer else {
            throw RPCError.invalidArgument(
                "a key has its user's role or the narrower viewer role",
                violations: [FieldViolation("role", .notAllowed, "must be \(userRole) or viewer")]
            )
        }
        let keyID = RecordID.make("key")
        let issued = APIKey.issue(keyID: keyID)
        let row = APIKeyRow.make(
            id: keyID,
            tenantID: tenantID,
            userID: user.id,
            role: role,
            displayName: request.displayName,
            keyPrefix: issued.prefix,
            secretHash: issued.hash,
            expireTimeMs: request.expireTimeMs,
            createdBy: principal.userID
        )
        let event = auditEvent(context, kind: .apiKey, recordID: keyID, action: .create, version: 1, changes: [
            AuditLog.change("user_id", before: nil, after: user.id), AuditLog.change("role", before: nil, after: "\(role)"),
        ])
        try await controlPlane.insertKey(row, audit: event)
        await deliverAudit(tenantID)
        return IssueApiKeyResponse(apiKey: row.message, secret: issued.token)
    }

    public func listApiKeys(_ request: ListApiKeysRequest, context: ServerContext) async throws -> ListApiKeysResponse {
        let tenantID = try await targetTenant(request.tenantId, context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "").request
        let rows = try await controlPlane.listKeys(
            tenantID: tenantID,
            userID: request.userId,
            includeRevoked: request.includeRevoked,
            page: page
        )
        return ListApiKeysResponse(
            apiKeys: rows.map(\.message),
            nextPageToken: page.nextToken(lastID: rows.last?.id, count: rows.count)
        )
    }

    /// Revokes a key; its next call is refused. Revoking a revoked key changes nothing.
    public func revokeApiKey(_ request: RevokeApiKeyRequest, context: ServerContext) async throws -> ApiKey {
        let tenantID = try await targetTenant(request.tenantId, context)
        let row = try await controlPlane.revokeKey(request.id, tenantID: tenantID) { _, after in
            self.auditEvent(context, kind: .apiKey, recordID: after.id, action: .stateChange, version: 1, changes: [
                AuditLog.change("revoked", before: "false", after: "true")
            ])
        }
        await deliverAudit(tenantID)
        return row.message
    }
}

extension APIKeyRow {
    var message: ApiKey {
        ApiKey(
            id: id,
            tenantId: tenantID ?? "",
            userId: userID,
            role: Role(rawValue: role),
            displayName: displayName,
            keyPrefix: keyPrefix,
            expireTimeMs: expireTimeMs,
            lastUsedTimeMs: lastUsedTimeMs,
            revoked: revokeTimeMs != 0,
            revokeTimeMs: revokeTimeMs,
            createdByUserId: createdByUserID,
            createTimeMs: createTimeMs
        )
    }
}
