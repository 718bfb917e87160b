import Foundation
public import Logging
public import SFAStorage
public import SFAStubs

/// Authentication and authorization of every call (SPEC §4) — except a health check
/// without credentials, which load balancers make. The principal comes
/// from the API key in the `authorization` header, never from a request field; the
/// permission table decides whether its role may call the method and with which
/// scope.
///
/// Credentials are cached, and revocation, expiry, deactivation, role changes and
/// suspension still take effect on the very next call:
/// - A key's credential (key, user status/role/team, issuer's role, tenant status) is
///   read from the control plane once and kept in memory, keyed by key id, together
///   with the control plane's `accessGeneration` loaded before the read. Every change
///   to tenants, users or keys moves that generation on once it has committed (before
///   the call that made it returns), and an entry is used only while the generation is
///   unchanged; so an admitted call on a current entry costs a lookup under a lock and
///   no suspension, and a read that raced a change is never taken for current.
/// - Per call, whatever the source: the presented secret's SHA-256 is compared with the
///   stored hash in constant time, and expiry, revocation, user and tenant status and
///   the permission table are checked against the clock and the credential.
/// - Only verified keys are kept (an unknown key id or a wrong secret is read from the
///   control plane each time, so random ids cannot grow the cache), at most
///   `credentialCacheCapacity` of them.
/// - `last_used_time_ms` is written at most once a minute per key, in batches the call
///   does not wait for (``KeyUseRecorder``); it does not move the generation.
/// - On a connection whose client certificate binds it to tenants, a key of another
///   tenant is refused as soon as its secret is verified: before it is cached, routed,
///   its use recorded or its limits counted, so a partner's certificate cannot even
///   touch another tenant's keys.
public struct APIKeyGate: CallGate {
    private let controlPlane: ControlPlane
    /// Where this node's tenants are, in a cluster; nil on a single node.
    private let router: TenantRouter?
    private let logger: Logger
    /// Verified credentials; internal so that tests can look at it.
    let credentials: CredentialCache
    /// `last_used_time_ms` is written at most this often per key.
    private static let lastUsedResolutionMs: Int64 = 60_000
    /// Writes the keys' last uses.
    private let uses: KeyUseRecorder

    /// - Parameters:
    ///   - credentialCacheCapacity: the most verified keys kept in memory; beyond it,
    ///     stale entries and then all are dropped.
    ///   - router: on a node of a cluster, sends the calls of tenants placed on other
    ///     nodes there (TENANT_MOVED, TENANT_MOVING) once the key is admitted.
    public init(controlPlane: ControlPlane, logger: Logger, router: TenantRouter? = nil, credentialCacheCapacity: Int = 100_000) {
        self.controlPlane = controlPlane
        self.router = router
        self.logger = logger
        self.credentials = CredentialCache(capacity: credentialCacheCapacity)
        self.uses = KeyUseRecorder(logger: logger) { batch in try await controlPlane.touchKeys(batch) }
    }

    public func admit(method: String, authorization: String?, certificateTenants: Set<String>?) async throws -> Principal {
        // Load balancers check health without a key; everything else needs one.
        if authorization == nil, method == HealthServiceMethods.check.fullName {
            return Principal(tenantID: nil, userID: "", role: .unspecified, teamID: "", keyID: "", scope: .all)
        }
        let (credential, now) = try await authenticate(authorization, certificateTenants: certificateTenants)
        guard PermissionTable.grants[method] != nil else {
            throw RPCError(code: .unimplemented, message: "unknown method \(method)", details: ErrorDetails(reason: "UNKNOWN_METHOD"))
        }
        let scope = try authorize(credential, method: method)
        if let router, let tenantID = credential.key.tenantID { try await router.route(tenantID, method: method) }
        recordUse(of: credential.key, at: now)
        return Principal(
            tenantID: credential.key.tenantID,
            userID: credential.key.userID,
            role: Role(rawValue: credential.userRole),
            teamID: credential.userTeamID,
            keyID: credential.key.id,
            scope: scope,
            viewerKey: Self.isNarrowed(credential),
            tenantLimits: credential.tenantLimits
        )
    }

    /// Whether the key is a viewer key of a user with another role.
    private static func isNarrowed(_ credential: Credential) -> Bool {
        Role(rawValue: credential.key.role) == .viewer && Role(rawValue: credential.userRole) != .viewer
    }

    /// Every method of the API `admit` would let this key call, in name order.
    public func allowedMethods(authorization: String?) async throws -> [MethodGrant] {
        let (credential, _) = try await authenticate(authorization, certificateTenants: nil)
        return PermissionTable.grants.keys.sorted().compactMap { method in
            (try? authorize(credential, method: method)).map { MethodGrant(method: method, scope: $0) }
        }
    }

    /// The credential of a key that may be used now, and the time it was checked at.
    /// - Throws: UNAUTHENTICATED for a missing, malformed, unknown, revoked or expired
    ///   key or a deactivated user; PERMISSION_DENIED when the tenant is suspended or
    ///   is not one of `certificateTenants`.
    private func authenticate(_ authorization: String?, certificateTenants: Set<String>?) async throws -> (Credential, now: Int64) {
        guard let authorization else {
            throw RPCError(
                code: .unauthenticated,
                message: "no API key: send `authorization: Bearer sfa_…`",
                details: ErrorDetails(reason: "API_KEY_MISSING")
            )
        }
        guard let (keyID, secret) = APIKey.parse(authorization: authorization) else {
            throw RPCError(
                code: .unauthenticated,
                message: "malformed API key: send `authorization: Bearer sfa_…`",
                details: ErrorDetails(reason: "API_KEY_MALFORMED")
            )
        }
        let invalid = RPCError(code: .unauthenticated, message: "the API key is not valid", details: ErrorDetails(reason: "API_KEY_INVALID"))
        guard let credential = try await verifiedCredential(keyID: keyID, secret: secret, certificateTenants: certificateTenants) else {
            throw invalid
        }
        let key = credential.key
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if key.revokeTimeMs != 0 {
            throw RPCError(code: .unauthenticated, message: "the API key was revoked", details: ErrorDetails(reason: "API_KEY_REVOKED"))
        }
        if key.expireTimeMs != 0, key.expireTimeMs <= now {
            throw RPCError(code: .unauthenticated, message: "the API key expired", details: ErrorDetails(reason: "API_KEY_EXPIRED"))
        }
        guard credential.userStatus == UserStatus.active.rawValue else { throw invalid }
        if let tenantStatus = credential.tenantStatus {
            if tenantStatus == TenantStatus.deleted.rawValue { throw invalid }
            if tenantStatus == TenantStatus.suspended.rawValue {
                let reason = credential.tenantStatusReason ?? ""
                throw RPCError(
                    code: .permissionDenied,
                    message: "the tenant is suspended" + (reason.isEmpty ? "" : ": \(reason)"),
                    details: ErrorDetails(reason: "TENANT_SUSPENDED")
                )
            }
        }
        return (credential, now)
    }

    /// The scope of an authenticated key on `method` (a method of the API).
    /// - Throws: PERMISSION_DENIED when the key may not call it.
    private func authorize(_ credential: Credential, method: String) throws -> RecordScope {
        let key = credential.key
        // The user's current role applies (a demoted user's keys are demoted too) and
        // stays the principal's role, which decides what `.own` means (a partner's own
        // records are those it created). A key issued as a viewer key stays one: it is
        // held to what both its user and a viewer may call, with the narrower scope.
        let role = Role(rawValue: credential.userRole)
        let narrowed = Self.isNarrowed(credential)
        // Keys an operator issued bootstrap a tenant (its admin creates the real users and
        // keys with them); they never reach business data (SPEC §4).
        if credential.creatorRole == Role.operator.rawValue, key.tenantID != nil, !PermissionTable.bootstrapKeyMayCall(method) {
            throw RPCError(
                code: .permissionDenied,
                message: "a key issued by an operator only manages users and keys; let the tenant admin issue working keys",
                details: ErrorDetails(reason: "BOOTSTRAP_KEY")
            )
        }
        let scope =
            narrowed
            ? PermissionTable.scope(of: role, narrowedTo: .viewer, for: method)
            : PermissionTable.scope(of: role, for: method)
        guard let scope else {
            let caller = narrowed ? "a viewer key of the \(role) role" : "the \(role) role"
            throw RPCError(
                code: .permissionDenied,
                message: "\(caller) may not call \(method)",
                details: ErrorDetails(reason: "METHOD_NOT_ALLOWED")
            )
        }
        return scope
    }

    /// The credential of `keyID` if `secret` is its secret: the cached one while no
    /// access change has committed since it was read, else read from the control plane
    /// (and cached). Nil for an unknown key or a wrong secret, which are not cached.
    /// - Throws: PERMISSION_DENIED for a key of a tenant not in `certificateTenants`,
    ///   which is not cached either.
    private func verifiedCredential(keyID: String, secret: String, certificateTenants: Set<String>?) async throws -> Credential? {
        let presented = APIKey.hash(secret)
        // Loaded before the read: a change committing after this point moves the
        // generation past the one the entry is stored under.
        let generation = controlPlane.accessGeneration
        if let cached = credentials.credential(keyID: keyID, generation: generation) {
            guard APIKey.constantTimeEqual(presented, cached.key.secretHash) else { return nil }
            try Self.checkBinding(of: cached.key, to: certificateTenants)
            return cached
        }
        guard let stored = try await controlPlane.credential(keyID: keyID),
            APIKey.constantTimeEqual(presented, stored.key.secretHash)
        else { return nil }
        try Self.checkBinding(of: stored.key, to: certificateTenants)
        credentials.store(stored, keyID: keyID, generation: generation)
        return stored
    }

    /// Refuses a key of a tenant other than those the connection's certificate is
    /// bound to, an operator's key (no tenant) among them. Checked only once the secret
    /// is verified, so that the refusal does not tell a certificate holder which tenant
    /// an unknown key id belongs to.
    private static func checkBinding(of key: APIKeyRow, to certificateTenants: Set<String>?) throws {
        guard let certificateTenants, !certificateTenants.contains(key.tenantID ?? "") else { return }
        throw RPCError(
            code: .permissionDenied,
            message: "this connection's client certificate is bound to other tenants than the key's",
            details: ErrorDetails(reason: "CERTIFICATE_TENANT_MISMATCH")
        )
    }

    /// Writes the keys' last uses that wait for their batch (``KeyUseRecorder``): at
    /// shutdown, once the server has drained, so that the last second's are kept.
    public func flushKeyUses() async {
        await uses.flush()
    }

    /// Records the key's use when its `last_used_time_ms` is due, without making the call wait.
    private func recordUse(of key: APIKeyRow, at now: Int64) {
        let due = credentials.claimTouch(
            keyID: key.id,
            recordedMs: key.lastUsedTimeMs,
            nowMs: now,
            intervalMs: Self.lastUsedResolutionMs
        )
        if due { uses.record(key.id, at: now) }
    }
}
