import GRDB

/// The versioned schema of `control.sqlite`.
enum ControlPlaneSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 tenants, users, api keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenant (
                        id TEXT PRIMARY KEY NOT NULL,
                        version INTEGER NOT NULL,
                        name TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        status_reason TEXT NOT NULL,
                        schema_version INTEGER NOT NULL,
                        created_by_user_id TEXT NOT NULL,
                        create_time_ms INTEGER NOT NULL,
                        update_time_ms INTEGER NOT NULL
                    );
                    CREATE TABLE user (
                        id TEXT PRIMARY KEY NOT NULL,
                        version INTEGER NOT NULL,
                        tenant_id TEXT REFERENCES tenant(id) ON DELETE CASCADE,
                        display_name TEXT NOT NULL,
                        email TEXT NOT NULL,
                        role INTEGER NOT NULL,
                        team_id TEXT NOT NULL,
                        manager_user_id TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        created_by_user_id TEXT NOT NULL,
                        create_time_ms INTEGER NOT NULL,
                        update_time_ms INTEGER NOT NULL
                    );
                    CREATE UNIQUE INDEX user_email ON user(ifnull(tenant_id, ''), email);
                    CREATE INDEX user_tenant ON user(tenant_id, id);
                    CREATE TABLE api_key (
                        id TEXT PRIMARY KEY NOT NULL,
                        tenant_id TEXT REFERENCES tenant(id) ON DELETE CASCADE,
                        user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                        role INTEGER NOT NULL,
                        display_name TEXT NOT NULL,
                        key_prefix TEXT NOT NULL,
                        secret_hash BLOB NOT NULL,
                        expire_time_ms INTEGER NOT NULL,
                        last_used_time_ms INTEGER NOT NULL,
                        revoke_time_ms INTEGER NOT NULL,
                        created_by_user_id TEXT NOT NULL,
                        create_time_ms INTEGER NOT NULL
                    );
                    CREATE INDEX api_key_tenant ON api_key(tenant_id, id);
                    """
            )
        }
        migrator.registerMigration("v2 idempotency keys and tenant backups") { db in
            try Idempotency.createTable(db)
            try db.execute(
                sql: """
                    CREATE TABLE tenant_backup (
                        id TEXT PRIMARY KEY NOT NULL,
                        tenant_id TEXT NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        file_name TEXT NOT NULL,
                        size_bytes INTEGER NOT NULL,
                        sha256 TEXT NOT NULL,
                        schema_version INTEGER NOT NULL,
                        create_time_ms INTEGER NOT NULL
                    );
                    CREATE INDEX tenant_backup_tenant ON tenant_backup(tenant_id, id);
                    """
            )
        }
        migrator.registerMigration("v3 idempotency key expiry", migrate: Idempotency.createExpiryIndex)
        migrator.registerMigration("v4 audit outbox") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_outbox (
                        id TEXT PRIMARY KEY NOT NULL,
                        tenant_id TEXT NOT NULL,
                        event BLOB NOT NULL
                    );
                    CREATE INDEX audit_outbox_tenant ON audit_outbox(tenant_id, id);
                    """
            )
        }
        migrator.registerMigration("v5 tenant call limits") { db in
            // The encoded `CallLimits` overrides of tenants that have any; read with
            // each key's credential.
            try db.execute(
                sql: """
                    CREATE TABLE tenant_limits (
                        tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        limits BLOB NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v6 nodes and the placement directory") { db in
            // Where each tenant lives when nodes share a control plane (docs/scaling.md);
            // a tenant without a row is served by the node it is asked on (one node).
            try db.execute(
                sql: """
                    CREATE TABLE node (
                        id TEXT PRIMARY KEY NOT NULL,
                        address TEXT NOT NULL,
                        update_time_ms INTEGER NOT NULL
                    );
                    CREATE TABLE tenant_placement (
                        tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
                        node_id TEXT NOT NULL,
                        epoch INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        target_node_id TEXT NOT NULL,
                        update_time_ms INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v7 node leases") { db in
            // The process serving each node id, until when (docs/scaling.md, one
            // process per node id): a second process with the same id refuses to start
            // while the lease is live, and a process that cannot renew it stops serving.
            try db.execute(
                sql: """
                    ALTER TABLE node ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
                    ALTER TABLE node ADD COLUMN lease_expire_time_ms INTEGER NOT NULL DEFAULT 0;
                    """
            )
        }
        return migrator
    }
}
