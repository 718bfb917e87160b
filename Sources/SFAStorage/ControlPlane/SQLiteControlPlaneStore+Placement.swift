import GRDB

extension SQLiteControlPlaneStore {
    public func claimNode(_ node: NodeRow, holder: String, leaseMs: Int64) async throws {
        try await write { db in
            let now = ControlPlane.nowMs()
            let lease = try Row.fetchOne(db, sql: "SELECT lease_holder, lease_expire_time_ms FROM node WHERE id = ?", arguments: [node.id])
            if let lease, let current: String = lease["lease_holder"], !current.isEmpty, current != holder {
                let until: Int64 = lease["lease_expire_time_ms"]
                if until > now { throw StorageError.nodeLeaseHeld(node.id, holder: current, untilMs: until) }
            }
            try db.execute(
                sql: """
                    INSERT INTO node (id, address, update_time_ms, lease_holder, lease_expire_time_ms) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET address = excluded.address, update_time_ms = excluded.update_time_ms,
                        lease_holder = excluded.lease_holder, lease_expire_time_ms = excluded.lease_expire_time_ms
                    """,
                arguments: [node.id, node.address, node.updateTimeMs, holder, now + leaseMs]
            )
        }
    }

    public func renewNodeLease(_ id: String, holder: String, leaseMs: Int64) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE node SET lease_expire_time_ms = ? WHERE id = ? AND lease_holder = ?",
                arguments: [ControlPlane.nowMs() + leaseMs, id, holder]
            )
            return db.changesCount > 0
        }
    }

    public func releaseNodeLease(_ id: String, holder: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE node SET lease_holder = '', lease_expire_time_ms = 0 WHERE id = ? AND lease_holder = ?", arguments: [id, holder])
        }
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
        audit: PlacementAuditRecorder?,
        _ next: @escaping @Sendable (PlacementRow?) throws -> PlacementRow
    ) async throws -> PlacementRow {
        try await write { db in
            guard try TenantRow.exists(db, key: tenantID) else { throw StorageError.notFound(kind: "tenant", id: tenantID) }
            let current = try PlacementRow.fetchOne(db, key: tenantID)
            let placement = try next(current)
            try placement.save(db)
            try Self.enqueueAudit(db, audit?(current, placement), tenantID: tenantID)
            return placement
        }
    }
}
