public import GRDB

/// A tenant row of the control plane.
public struct TenantRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tenant"
    public var id: String
    public var version: Int64
    public var name: String
    /// `TenantStatus` raw value.
    public var status: Int32
    public var statusReason: String
    /// The schema version of the tenant's database, as last migrated.
    public var schemaVersion: Int32
    public var createdByUserID: String
    public var createTimeMs: Int64
    public var updateTimeMs: Int64

    enum CodingKeys: String, CodingKey {
        case id, version, name, status
        case statusReason = "status_reason"
        case schemaVersion = "schema_version"
        case createdByUserID = "created_by_user_id"
        case createTimeMs = "create_time_ms"
        case updateTimeMs = "update_time_ms"
    }
}

/// A user row: a person or a system (partner) of a tenant, or an operator (no tenant).
public struct UserRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "user"
    public var id: String
    public var version: Int64
    /// Empty for operators.
    public var tenantID: String?
    public var displayName: String
    public var email: String
    /// `Role` raw value.
    public var role: Int32
    public var teamID: String
    public var managerUserID: String
    /// `UserStatus` raw value.
    public var status: Int32
    public var createdByUserID: String
    public var createTimeMs: Int64
    public var updateTimeMs: Int64

    enum CodingKeys: String, CodingKey {
        case id, version, email, role, status
        case tenantID = "tenant_id"
        case displayName = "display_name"
        case teamID = "team_id"
        case managerUserID = "manager_user_id"
        case createdByUserID = "created_by_user_id"
        case createTimeMs = "create_time_ms"
        case updateTimeMs = "update_time_ms"
    }
}

/// An API key row. The secret itself is never stored: only its SHA-256.
public struct APIKeyRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "api_key"
    public var id: String
    public var tenantID: String?
    public var userID: String
    /// `Role` raw value: the user's role or a narrower one.
    public var role: Int32
    public var displayName: String
    /// The first characters of the key, to recognise it in lists.
    public var keyPrefix: String
    public var secretHash: [UInt8]
    /// 0 = never expires.
    public var expireTimeMs: Int64
    public var lastUsedTimeMs: Int64
    /// 0 = not revoked.
    public var revokeTimeMs: Int64
    public var createdByUserID: String
    public var createTimeMs: Int64

    enum CodingKeys: String, CodingKey {
        case id, role
        case tenantID = "tenant_id"
        case userID = "user_id"
        case displayName = "display_name"
        case keyPrefix = "key_prefix"
        case secretHash = "secret_hash"
        case expireTimeMs = "expire_time_ms"
        case lastUsedTimeMs = "last_used_time_ms"
        case revokeTimeMs = "revoke_time_ms"
        case createdByUserID = "created_by_user_id"
        case createTimeMs = "create_time_ms"
    }
}
