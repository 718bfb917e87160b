import PostgresNIO
public import SFAStorage

extension PostgresControlPlaneStore {
    public func claimNode(_ node: NodeRow, holder: String, leaseMs: Int64) async throws {
        try await transaction(notifying: true) { connection in
            // The database's clock decides for every node, whatever theirs say.
            let claimed = try await connection.query(
                """
                INSERT INTO node (id, address, update_time_ms, lease_holder, lease_expire_time_ms)
                VALUES (\(node.id), \(node.address), \(node.updateTimeMs), \(holder), \(unescaped: Self.nowMs) + \(leaseMs))
                ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, update_time_ms = EXCLUDED.update_time_ms,
                    lease_holder = EXCLUDED.lease_holder, lease_expire_time_ms = EXCLUDED.lease_expire_time_ms
                WHERE node.lease_holder IN ('', EXCLUDED.lease_holder) OR node.lease_expire_time_ms <= \(unescaped: Self.nowMs)
                RETURNING 1
                """,
                logger: logger
            ).collect()
            guard claimed.isEmpty else { return }
            let lease = try await connection.query("SELECT lease_holder, lease_expire_time_ms FROM node WHERE id = \(node.id)", logger: logger)
                .collect().first?.makeRandomAccess()
            throw StorageError.nodeLeaseHeld(
                node.id,
                holder: try lease?.value("lease_holder", as: String.self) ?? "",
                untilMs: try lease?.value("lease_expire_time_ms", as: Int64.self) ?? 0
            )
        }
    }

    public func renewNodeLease(_ id: String, holder: String, leaseMs: Int64) async throws -> Bool {
        let renewed = try await rows(
            """
            UPDATE node SET lease_expire_time_ms = \(unescaped: Self.nowMs) + \(leaseMs)
            WHERE id = \(id) AND lease_holder = \(holder) RETURNING 1
            """
        )
        return !renewed.isEmpty
    }

    public func releaseNodeLease(_ id: String, holder: String) async throws {
        _ = try await rows("UPDATE node SET lease_holder = '', lease_expire_time_ms = 0 WHERE id = \(id) AND lease_holder = \(holder)")
    }

    /// PostgreSQL's time now in milliseconds since 1970, as SQL.
    static let nowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

    public func node(_ id: String) async throws -> NodeRow? {
        try await rows("SELECT id, address, update_time_ms FROM node WHERE id = \(id)").first.map(PostgresRows.node)
    }

    public func placement(_ tenantID: String) async throws -> PlacementRow? {
        try await rows("SELECT \(unescaped: PostgresRows.placementColumns) FROM tenant_placement WHERE tenant_id = \(tenantID)")
            .first.map(PostgresRows.placement)
    }

    /// Replaces the tenant's placement by what `next` makes of the current one, in
    /// one transaction holding the tenant's row, so that changes of one placement
    /// run one after the other.
    public func changePlacement(
        _ tenantID: String,
        audit: PlacementAuditRecorder?,
        _ next: @escaping @Sendable (PlacementRow?) throws -> PlacementRow
    ) async throws -> PlacementRow {
        try await transaction(notifying: true) { connection in
            let tenant = try await connection.query("SELECT id FROM tenant WHERE id = \(tenantID) FOR UPDATE", logger: logger).collect()
            guard !tenant.isEmpty else { throw StorageError.notFound(kind: "tenant", id: tenantID) }
            let current = try await connection.query(
                "SELECT \(unescaped: PostgresRows.placementColumns) FROM tenant_placement WHERE tenant_id = \(tenantID)",
                logger: logger
            ).collect().first.map(PostgresRows.placement)
            let placement = try next(current)
            try await Self.savePlacement(connection, placement, logger: logger)
            try await Self.enqueueAudit(connection, audit?(current, placement), tenantID: tenantID, logger: logger)
            return placement
        }
    }

    static func savePlacement(_ connection: PostgresConnection, _ placement: PlacementRow, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO tenant_placement VALUES (\(placement.tenantID), \(placement.nodeID), \(placement.epoch), \(placement.state.rawValue),
                \(placement.targetNodeID), \(placement.updateTimeMs))
            ON CONFLICT (tenant_id) DO UPDATE SET node_id = EXCLUDED.node_id, epoch = EXCLUDED.epoch, state = EXCLUDED.state,
                target_node_id = EXCLUDED.target_node_id, update_time_ms = EXCLUDED.update_time_ms
            """,
            logger: logger
        )
    }
}
