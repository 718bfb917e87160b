import Foundation
import Logging
import PostgresNIO

/// The control plane's tables in PostgreSQL, as versioned steps: the same tables
/// as `control.sqlite` (`ControlPlaneSchema`), in PostgreSQL's types. Nodes starting
/// together migrate one at a time (an advisory lock held by the migrating transaction).
enum PostgresSchema {
    /// The steps, in order; a database records how many it ran. Append, never edit.
    static let steps: [String] = [
        """
        CREATE TABLE tenant (
            id TEXT PRIMARY KEY,
            version BIGINT NOT NULL,
            name TEXT NOT NULL,
            status INTEGER NOT NULL,
            status_reason TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            created_by_user_id TEXT NOT NULL,
            create_time_ms BIGINT NOT NULL,
            update_time_ms BIGINT NOT NULL
        );
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            version BIGINT NOT NULL,
            tenant_id TEXT REFERENCES tenant(id) ON DELETE CASCADE,
            display_name TEXT NOT NULL,
            email TEXT NOT NULL,
            role INTEGER NOT NULL,
            team_id TEXT NOT NULL,
            manager_user_id TEXT NOT NULL,
            status INTEGER NOT NULL,
            created_by_user_id TEXT NOT NULL,
            create_time_ms BIGINT NOT NULL,
            update_time_ms BIGINT NOT NULL
        );
        CREATE UNIQUE INDEX users_email ON users (coalesce(tenant_id, ''), email);
        CREATE INDEX users_tenant ON users (tenant_id, id);
        CREATE TABLE api_key (
            id TEXT PRIMARY KEY,
            tenant_id TEXT REFERENCES tenant(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role INTEGER NOT NULL,
            display_name TEXT NOT NULL,
            key_prefix TEXT NOT NULL,
            secret_hash BYTEA NOT NULL,
            expire_time_ms BIGINT NOT NULL,
            last_used_time_ms BIGINT NOT NULL,
            revoke_time_ms BIGINT NOT NULL,
            created_by_user_id TEXT NOT NULL,
            create_time_ms BIGINT NOT NULL
        );
        CREATE INDEX api_key_tenant ON api_key (tenant_id, id);
        CREATE TABLE idempotency_key (
            key TEXT NOT NULL,
            method TEXT NOT NULL,
            user_id TEXT NOT NULL,
            request_digest BYTEA NOT NULL,
            response BYTEA NOT NULL,
            create_time_ms BIGINT NOT NULL,
            PRIMARY KEY (key, method, user_id)
        );
        CREATE INDEX idempotency_key_expiry ON idempotency_key (create_time_ms);
        CREATE TABLE tenant_backup (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
            file_name TEXT NOT NULL,
            size_bytes BIGINT NOT NULL,
            sha256 TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            create_time_ms BIGINT NOT NULL
        );
        CREATE INDEX tenant_backup_tenant ON tenant_backup (tenant_id, id);
        CREATE TABLE audit_outbox (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            event BYTEA NOT NULL
        );
        CREATE INDEX audit_outbox_tenant ON audit_outbox (tenant_id, id);
        CREATE TABLE tenant_limits (
            tenant_id TEXT PRIMARY KEY REFERENCES tenant(id) ON DELETE CASCADE,
            limits BYTEA NOT NULL
        );
        CREATE TABLE node (
            id TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            update_time_ms BIGINT NOT NULL
        );
        CREATE TABLE tenant_placement (
            tenant_id TEXT PRIMARY KEY REFERENCES tenant(id) ON DELETE CASCADE,
            node_id TEXT NOT NULL,
            epoch BIGINT NOT NULL,
            state TEXT NOT NULL,
            target_node_id TEXT NOT NULL,
            update_time_ms BIGINT NOT NULL
        );
        """,
        // Node leases, as control.sqlite's v7: the process serving each node id, until when.
        """
        ALTER TABLE node ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
        ALTER TABLE node ADD COLUMN lease_expire_time_ms BIGINT NOT NULL DEFAULT 0;
        """,
    ]

    /// Runs the steps this database has not run, in one transaction.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            // Any constant both nodes agree on; released at the end of the transaction.
            try await connection.query("SELECT pg_advisory_xact_lock(5917001)", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS sfa_schema (steps INTEGER NOT NULL)", logger: logger)
            let done = try await connection.query("SELECT steps FROM sfa_schema", logger: logger).collect()
            let ran = try done.first.map { try $0.makeRandomAccess()["steps"].decode(Int.self) } ?? 0
            guard ran < steps.count else { return }
            for step in steps[ran...] {
                // Simple-protocol text may hold several statements; run them one by one.
                for statement in step.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            try await connection.query("DELETE FROM sfa_schema", logger: logger)
            try await connection.query("INSERT INTO sfa_schema VALUES (\(steps.count))", logger: logger)
        }
    }
}
