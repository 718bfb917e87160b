import Foundation
public import Logging
public import SFAStorage
public import SFAStubs

/// Authentication and authorization of every call (SPEC §4) — except a health check
/// without credentials, which load balancers make. The principal comes
/// from the API key in the `authorization` header, never from a request field; the
/// permission table decides whether its role may call the method and with which
/// scope. Revocation, expiry, deactivation and suspension take effect on the very
/// next call: nothing is cached.
public struct APIKeyGate: CallGate {
    private let controlPlane: ControlPlane
    private let logger: Logger
    /// `last_used_time_ms` is written at most this often per key.
    private static let lastUsedResolutionMs: Int64 = 60_000

    public init(controlPlane: ControlPlane, logger: Logger) {
        self.controlPlane = controlPlane
        self.logger = logger
    }

    public func admit(method: String, authorization: String?) async throws -> Principal {
        // Load balancers check health without a key; everything else needs one.
        if authorization == nil, method == HealthServiceMethods.check.fullName {
            return Principal(tenantID: nil, userID: "", role: .unspecified, teamID: "", keyID: "", scope: .all)
        }
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
        guard let credential = try await controlPlane.credential(keyID: keyID),
            APIKey.constantTimeEqual(APIKey.hash(secret), Array(credential.key.secretHash))
        else { throw invalid }
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
        // The user's current role applies (a demoted user's keys are demoted too);
        // a key issued as a viewer key stays one.
        let role = Role(rawValue: key.role) == .viewer ? Role.viewer : Role(rawValue: credential.userRole)
        guard PermissionTable.grants[method] != nil else {
            throw RPCError(code: .unimplemented, message: "unknown method \(method)", details: ErrorDetails(reason: "UNKNOWN_METHOD"))
        }
        // Keys an operator issued bootstrap a tenant (its admin creates the real users and
        // keys with them); they never reach business data (SPEC §4).
        if credential.creatorRole == Role.operator.rawValue, key.tenantID != nil,
            !method.hasPrefix("/sfa.v1.AdminService/"), !method.hasPrefix("/sfa.v1.HealthService/"),
            !method.hasPrefix("/sfa.v1.ReflectionService/")
        {
            throw RPCError(
                code: .permissionDenied,
                message: "a key issued by an operator only manages users and keys; let the tenant admin issue working keys",
                details: ErrorDetails(reason: "BOOTSTRAP_KEY")
            )
        }
        guard let scope = PermissionTable.scope(of: role, for: method) else {
            throw RPCError(
                code: .permissionDenied,
                message: "the \(role) role may not call \(method)",
                details: ErrorDetails(reason: "METHOD_NOT_ALLOWED")
            )
        }
        if now - key.lastUsedTimeMs > Self.lastUsedResolutionMs {
            do {
                try await controlPlane.touchKey(key.id, at: now)
            } catch {
                logger.warning("could not record the last use of an API key", metadata: ["key_id": "\(key.id)", "error": "\(error)"])
            }
        }
        return Principal(
            tenantID: key.tenantID,
            userID: key.userID,
            role: role,
            teamID: credential.userTeamID,
            keyID: key.id,
            scope: scope
        )
    }
}
