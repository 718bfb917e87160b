import GRDB

extension ControlPlane {
    public func insertBackup(_ row: TenantBackupRow) async throws {
        try await write { db in try row.insert(db) }
    }

    /// The backup, only if it belongs to `tenantID`.
    public func backup(_ id: String, tenantID: String) async throws -> TenantBackupRow {
        let row = try await database.read { db in try TenantBackupRow.fetchOne(db, key: id) }
        guard let row, row.tenantID == tenantID else { throw StorageError.notFound(kind: "backup", id: id) }
        return row
    }

    /// Removes the backup's record, only if it belongs to `tenantID`.
    /// - Returns: the row as it was.
    public func deleteBackup(_ id: String, tenantID: String) async throws -> TenantBackupRow {
        let row = try await write { db -> TenantBackupRow? in
            guard let row = try TenantBackupRow.fetchOne(db, key: id), row.tenantID == tenantID else { return nil }
            try row.delete(db)
            return row
        }
        guard let row else { throw StorageError.notFound(kind: "backup", id: id) }
        return row
    }

    public func backups(tenantID: String, page: PageRequest) async throws -> [TenantBackupRow] {
        try await database.read { db in
            var request = TenantBackupRow.filter(Column("tenant_id") == tenantID).order(Column("id")).limit(page.size)
            if let after = page.after { request = request.filter(Column("id") > after) }
            return try request.fetchAll(db)
        }
    }

    /// Users and live keys of a tenant, for its stats.
    public func counts(tenantID: String) async throws -> (users: Int, activeKeys: Int) {
        try await database.read { db in
            let users = try UserRow.filter(Column("tenant_id") == tenantID).fetchCount(db)
            let keys = try APIKeyRow.filter(Column("tenant_id") == tenantID && Column("revoke_time_ms") == 0).fetchCount(db)
            return (users, keys)
        }
    }
}
