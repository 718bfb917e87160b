public import Foundation
public import GRDB
public import SFAMessages

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

    public init(
        id: String,
        version: Int64,
        name: String,
        status: Int32,
        statusReason: String,
        schemaVersion: Int32,
        createdByUserID: String,
        createTimeMs: Int64,
        updateTimeMs: Int64
    ) {
        self.id = id
        self.version = version
        self.name = name
        self.status = status
        self.statusReason = statusReason
        self.schemaVersion = schemaVersion
        self.createdByUserID = createdByUserID
        self.createTimeMs = createTimeMs
        self.updateTimeMs = updateTimeMs
    }

    enum CodingKeys: String, CodingKey {
        case id, version, name, status
        case statusReason = "status_reason"
        case schemaVersion = "schema_version"
        case createdByUserID = "created_by_user_id"
        case createTimeMs = "create_time_ms"
        case updateTimeMs = "update_time_ms"
    }
}

extension TenantRow {
    /// A new active tenant.
    public static func make(name: String, createdBy: String, schemaVersion: Int32) -> TenantRow {
        let now = ControlPlane.nowMs()
        return TenantRow(
            id: RecordID.make("ten"),
            version: 1,
            name: name,
            status: TenantStatus.active.rawValue,
            statusReason: "",
            schemaVersion: schemaVersion,
            createdByUserID: createdBy,
            createTimeMs: now,
            updateTimeMs: now
        )
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

    public init(
        id: String,
        version: Int64,
        tenantID: String?,
        displayName: String,
        email: String,
        role: Int32,
        teamID: String,
        managerUserID: String,
        status: Int32,
        createdByUserID: String,
        createTimeMs: Int64,
        updateTimeMs: Int64
    ) {
        self.id = id
        self.version = version
        self.tenantID = tenantID
        self.displayName = displayName
        self.email = email
        self.role = role
        self.teamID = teamID
        self.managerUserID = managerUserID
        self.status = status
        self.createdByUserID = createdByUserID
        self.createTimeMs = createTimeMs
        self.updateTimeMs = updateTimeMs
    }

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

extension UserRow {
    /// A new active user.
    public static func make(
        tenantID: String?,
        displayName: String,
        email: String,
        role: Role,
        teamID: String,
        managerUserID: String,
        createdBy: String
    ) -> UserRow {
        let now = ControlPlane.nowMs()
        return UserRow(
            id: RecordID.make("user"),
            version: 1,
            tenantID: tenantID,
            displayName: displayName,
            email: email,
            role: role.rawValue,
            teamID: teamID,
            managerUserID: managerUserID,
            status: UserStatus.active.rawValue,
            createdByUserID: createdBy,
            createTimeMs: now,
            updateTimeMs: now
        )
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
    public var secretHash: Data
    /// 0 = never expires.
    public var expireTimeMs: Int64
    public var lastUsedTimeMs: Int64
    /// 0 = not revoked.
    public var revokeTimeMs: Int64
    public var createdByUserID: String
    public var createTimeMs: Int64

    public init(
        id: String,
        tenantID: String?,
        userID: String,
        role: Int32,
        displayName: String,
        keyPrefix: String,
        secretHash: Data,
        expireTimeMs: Int64,
        lastUsedTimeMs: Int64,
        revokeTimeMs: Int64,
        createdByUserID: String,
        createTimeMs: Int64
    ) {
        self.id = id
        self.tenantID = tenantID
        self.userID = userID
        self.role = role
        self.displayName = displayName
        self.keyPrefix = keyPrefix
        self.secretHash = secretHash
        self.expireTimeMs = expireTimeMs
        self.lastUsedTimeMs = lastUsedTimeMs
        self.revokeTimeMs = revokeTimeMs
        self.createdByUserID = createdByUserID
        self.createTimeMs = createTimeMs
    }

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

extension APIKeyRow {
    /// A new key; `secretHash` is the SHA-256 of its secret.
    public static func make(
        id: String,
        tenantID: String?,
        userID: String,
        role: Role,
        displayName: String,
        keyPrefix: String,
        secretHash: [UInt8],
        expireTimeMs: Int64,
        createdBy: String
    ) -> APIKeyRow {
        APIKeyRow(
            id: id,
            tenantID: tenantID,
            userID: userID,
            role: role.rawValue,
            displayName: displayName,
            keyPrefix: keyPrefix,
            secretHash: Data(secretHash),
            expireTimeMs: expireTimeMs,
            lastUsedTimeMs: 0,
            revokeTimeMs: 0,
            createdByUserID: createdBy,
            createTimeMs: ControlPlane.nowMs()
        )
    }
}

/// An API key joined with the state of its user and tenant.
public struct Credential: Sendable, FetchableRecord {
    public var key: APIKeyRow
    /// `UserStatus` raw value.
    public var userStatus: Int32
    public var userTeamID: String
    /// The user's current `Role` raw value.
    public var userRole: Int32
    /// The `Role` raw value of whoever issued the key; nil when it was not a user (first start, demo).
    public var creatorRole: Int32?
    /// `TenantStatus` raw value; nil for operator keys.
    public var tenantStatus: Int32?
    public var tenantStatusReason: String?
    /// The tenant's call limit overrides; all 0 when it has none (and for operator keys).
    public var tenantLimits: CallLimits

    public init(
        key: APIKeyRow,
        userStatus: Int32,
        userTeamID: String,
        userRole: Int32,
        creatorRole: Int32?,
        tenantStatus: Int32?,
        tenantStatusReason: String?,
        tenantLimits: CallLimits
    ) {
        self.key = key
        self.userStatus = userStatus
        self.userTeamID = userTeamID
        self.userRole = userRole
        self.creatorRole = creatorRole
        self.tenantStatus = tenantStatus
        self.tenantStatusReason = tenantStatusReason
        self.tenantLimits = tenantLimits
    }

    public init(row: Row) throws {
        key = try APIKeyRow(row: row)
        userStatus = row["user_status"]
        userTeamID = row["user_team_id"]
        userRole = row["user_role"]
        creatorRole = row["creator_role"]
        tenantStatus = row["tenant_status"]
        tenantStatusReason = row["tenant_status_reason"]
        tenantLimits = try CallLimits(stored: row["tenant_limits"])
    }
}

extension CallLimits {
    /// Overrides as `tenant_limits.limits` stores them; none when there is no row.
    public init(stored: Data?) throws {
        self = try stored.map { try CallLimits(serializedBytes: Array($0)) } ?? CallLimits()
    }
}

/// Which users of a tenant a caller may see.
public enum UserScope: Sendable, Hashable {
    case all
    /// The caller, the users it manages and the users of its team.
    case team(userID: String, teamID: String)
    /// The caller only.
    case own(userID: String)

    /// The scope as a condition on the `user` table.
    var condition: SQLExpression {
        switch self {
        case .all:
            return true.sqlExpression
        case .team(let userID, let teamID):
            let mine = Column("id") == userID || Column("manager_user_id") == userID
            return teamID.isEmpty ? mine : mine || Column("team_id") == teamID
        case .own(let userID):
            return Column("id") == userID
        }
    }

    /// Whether `user` is within this scope.
    public func contains(_ user: UserRow) -> Bool {
        switch self {
        case .all: true
        case .team(let userID, let teamID):
            user.id == userID || user.managerUserID == userID || (!teamID.isEmpty && user.teamID == teamID)
        case .own(let userID): user.id == userID
        }
    }
}

/// A backup of a tenant database, kept under the data directory.
public struct TenantBackupRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tenant_backup"
    public var id: String
    public var tenantID: String
    public var fileName: String
    public var sizeBytes: Int64
    public var sha256: String
    public var schemaVersion: Int32
    public var createTimeMs: Int64

    public init(id: String, tenantID: String, fileName: String, sizeBytes: Int64, sha256: String, schemaVersion: Int32) {
        self.id = id
        self.tenantID = tenantID
        self.fileName = fileName
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.schemaVersion = schemaVersion
        self.createTimeMs = ControlPlane.nowMs()
    }

    enum CodingKeys: String, CodingKey {
        case id, sha256
        case tenantID = "tenant_id"
        case fileName = "file_name"
        case sizeBytes = "size_bytes"
        case schemaVersion = "schema_version"
        case createTimeMs = "create_time_ms"
    }
}

extension TenantRow {
    /// The status change every backend makes, checked against `expectedVersion`.
    public mutating func changeStatus(expectedVersion: Int64, to status: TenantStatus, reason: String) throws {
        guard expectedVersion == version else { throw StorageError.staleVersion(kind: "tenant", id: id, current: version) }
        self.status = status.rawValue
        statusReason = reason
        version += 1
        updateTimeMs = ControlPlane.nowMs()
    }
}

extension UserRow {
    /// A stored change: the next version, now.
    public mutating func stampChange() {
        version += 1
        updateTimeMs = ControlPlane.nowMs()
    }
}
