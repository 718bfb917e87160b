public import SFAMessages

/// How far a caller's grant on a method reaches within its tenant.
public enum RecordScope: Sendable, Hashable, Comparable {
    /// Records the caller owns (`owner_user_id`); for partners, records its key created.
    case own
    /// Records owned by the caller or by users of the caller's team.
    case team
    /// Every record of the tenant.
    case all
}

/// Who is calling, as established from the API key by the server's `CallGate`.
/// The tenant of a call comes from here, never from a request field.
public struct Principal: Sendable, Equatable {
    /// The caller's tenant; `nil` for operators, who act across tenants.
    public var tenantID: String?
    public var userID: String
    /// The user's current role: whose grants apply, and what `.own` means (for a
    /// partner, the records it created). A key narrowed to the viewer role keeps its
    /// user's role here; its narrowing shows in `scope` and in which methods it reaches.
    public var role: Role
    /// The caller's team; empty when it has none.
    public var teamID: String
    /// The API key the call was made with.
    public var keyID: String
    /// How far the caller's grant on the method being called reaches.
    public var scope: RecordScope
    /// Whether the key is narrowed to the viewer role: what the key may do as another
    /// method (a side effect of this one) is held to what a viewer may do too.
    public var viewerKey: Bool
    /// The tenant's call limit overrides (0 = the server's default), applied by the
    /// ``CallLimiter``.
    public var tenantLimits: CallLimits

    public init(
        tenantID: String?,
        userID: String,
        role: Role,
        teamID: String,
        keyID: String,
        scope: RecordScope,
        viewerKey: Bool = false,
        tenantLimits: CallLimits = CallLimits()
    ) {
        self.tenantID = tenantID
        self.userID = userID
        self.role = role
        self.teamID = teamID
        self.keyID = keyID
        self.scope = scope
        self.viewerKey = viewerKey
        self.tenantLimits = tenantLimits
    }
}
