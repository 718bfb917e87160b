import Foundation
import PostgresNIO
import SFAMessages
import SFAStorage

/// The control plane's records as PostgreSQL rows: the columns each SELECT lists,
/// and the record read back from them (the same columns as `control.sqlite`).
extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}

enum PostgresRows {
    static let tenantColumns = "id, version, name, status, status_reason, schema_version, created_by_user_id, create_time_ms, update_time_ms"
    static let userColumns =
        "id, version, tenant_id, display_name, email, role, team_id, manager_user_id, status, created_by_user_id, create_time_ms, update_time_ms"
    static let keyColumns =
        "id, tenant_id, user_id, role, display_name, key_prefix, secret_hash, expire_time_ms, last_used_time_ms, revoke_time_ms, created_by_user_id, create_time_ms"
    static let backupColumns = "id, tenant_id, file_name, size_bytes, sha256, schema_version, create_time_ms"
    static let placementColumns = "tenant_id, node_id, epoch, state, target_node_id, update_time_ms"

    static func tenant(_ row: PostgresRow) throws -> TenantRow {
        let r = row.makeRandomAccess()
        return TenantRow(
            id: try r.value("id"),
            version: try r.value("version"),
            name: try r.value("name"),
            status: try r.value("status"),
            statusReason: try r.value("status_reason"),
            schemaVersion: try r.value("schema_version"),
            createdByUserID: try r.value("created_by_user_id"),
            createTimeMs: try r.value("create_time_ms"),
            updateTimeMs: try r.value("update_time_ms")
        )
    }

    static func user(_ row: PostgresRow) throws -> UserRow {
        let r = row.makeRandomAccess()
        return UserRow(
            id: try r.value("id"),
            version: try r.value("version"),
            tenantID: try r.value("tenant_id"),
            displayName: try r.value("display_name"),
            email: try r.value("email"),
            role: try r.value("role"),
            teamID: try r.value("team_id"),
            managerUserID: try r.value("manager_user_id"),
            status: try r.value("status"),
            createdByUserID: try r.value("created_by_user_id"),
            createTimeMs: try r.value("create_time_ms"),
            updateTimeMs: try r.value("update_time_ms")
        )
    }

    static func key(_ row: PostgresRow) throws -> APIKeyRow {
        let r = row.makeRandomAccess()
        return APIKeyRow(
            id: try r.value("id"),
            tenantID: try r.value("tenant_id"),
            userID: try r.value("user_id"),
            role: try r.value("role"),
            displayName: try r.value("display_name"),
            keyPrefix: try r.value("key_prefix"),
            secretHash: try r.value("secret_hash"),
            expireTimeMs: try r.value("expire_time_ms"),
            lastUsedTimeMs: try r.value("last_used_time_ms"),
            revokeTimeMs: try r.value("revoke_time_ms"),
            createdByUserID: try r.value("created_by_user_id"),
            createTimeMs: try r.value("create_time_ms")
        )
    }

    static func backup(_ row: PostgresRow) throws -> TenantBackupRow {
        let r = row.makeRandomAccess()
        var backup = TenantBackupRow(
            id: try r.value("id"),
            tenantID: try r.value("tenant_id"),
            fileName: try r.value("file_name"),
            sizeBytes: try r.value("size_bytes"),
            sha256: try r.value("sha256"),
            schemaVersion: try r.value("schema_version")
        )
        backup.createTimeMs = try r.value("create_time_ms")
        return backup
    }

    static func placement(_ row: PostgresRow) throws -> PlacementRow {
        let r = row.makeRandomAccess()
        let state: String = try r.value("state")
        guard let placementState = PlacementRow.State(rawValue: state) else {
            throw StorageError.failedPrecondition(reason: "PLACEMENT_UNKNOWN_STATE", message: "unknown placement state \(state)")
        }
        return PlacementRow(
            tenantID: try r.value("tenant_id"),
            nodeID: try r.value("node_id"),
            epoch: try r.value("epoch"),
            state: placementState,
            targetNodeID: try r.value("target_node_id"),
            updateTimeMs: try r.value("update_time_ms")
        )
    }

    static func node(_ row: PostgresRow) throws -> NodeRow {
        let r = row.makeRandomAccess()
        return NodeRow(id: try r.value("id"), address: try r.value("address"), updateTimeMs: try r.value("update_time_ms"))
    }

    static func credential(_ row: PostgresRow) throws -> Credential {
        let r = row.makeRandomAccess()
        let limits: Data? = try r.value("tenant_limits")
        return Credential(
            key: try key(row),
            userStatus: try r.value("user_status"),
            userTeamID: try r.value("user_team_id"),
            userRole: try r.value("user_role"),
            creatorRole: try r.value("creator_role"),
            tenantStatus: try r.value("tenant_status"),
            tenantStatusReason: try r.value("tenant_status_reason"),
            tenantLimits: try CallLimits(stored: limits)
        )
    }
}

/// A statement whose text depends on which filters are present, with its binds
/// numbered as they are added.
struct DynamicQuery {
    private(set) var sql: String
    private var binds = PostgresBindings()
    private var count = 0

    /// A statement starting with `text`, in which each `?` is the next of `values`.
    init(_ text: String, _ values: any PostgresDynamicTypeEncodable...) {
        sql = ""
        append(text, values)
    }

    /// Appends `text`, in which each `?` is the next of `values`.
    mutating func append(_ text: String, _ values: any PostgresDynamicTypeEncodable...) {
        append(text, values)
    }

    private mutating func append(_ text: String, _ values: [any PostgresDynamicTypeEncodable]) {
        var pieces = text.split(separator: "?", omittingEmptySubsequences: false).map(String.init)
        precondition(pieces.count == values.count + 1, "one value per ? in \(text)")
        sql += pieces.removeFirst()
        for (piece, value) in zip(pieces, values) {
            count += 1
            binds.append(value)
            sql += "$\(count)" + piece
        }
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
