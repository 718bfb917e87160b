import PostgresNIO
public import SFAStorage

extension PostgresControlPlaneStore {
    public func registerNode(_ node: NodeRow) async throws {
        try await transaction(notifying: true) { connection in
            try await connection.query(
                """
                INSERT INTO node VALUES (\(node.id), \(node.address), \(node.updateTimeMs))
                ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, update_time_ms = EXCLUDED.update_time_ms
                """,
                logger: logger
            )
        }
    }

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
