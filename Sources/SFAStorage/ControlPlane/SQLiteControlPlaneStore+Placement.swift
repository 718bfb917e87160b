import GRDB

extension SQLiteControlPlaneStore {
    public func registerNode(_ node: NodeRow) async throws {
        try await write { db in try node.save(db) }
    }

    public func node(_ id: String) async throws -> NodeRow? {
        try await database.read { db in try NodeRow.fetchOne(db, key: id) }
    }

    public func placement(_ tenantID: String) async throws -> PlacementRow? {
        try await database.read { db in try PlacementRow.fetchOne(db, key: tenantID) }
    }

    /// Replaces the tenant's placement by what `next` makes of the current one, in one transaction.
    public func changePlacement(
        _ tenantID: String,
        _ next: @escaping @Sendable (PlacementRow?) throws -> PlacementRow
    ) async throws -> PlacementRow {
        try await write { db in
            guard try TenantRow.exists(db, key: tenantID) else { throw StorageError.notFound(kind: "tenant", id: tenantID) }
            let placement = try next(try PlacementRow.fetchOne(db, key: tenantID))
            try placement.save(db)
            return placement
        }
    }
}
