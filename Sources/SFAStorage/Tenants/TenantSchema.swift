import GRDB

/// The versioned schema of every tenant database. Version N means the first N
/// migrations are applied; a database with a migration this code does not know was
/// written by a newer SalesWire and is refused, not touched.
public enum TenantSchema {
    /// The migrations, in order. Later issues append; never edit or reorder one.
    static let migrations: [(identifier: String, migrate: @Sendable (Database) throws -> Void)] = [
        ("v1 audit log and idempotency keys", migrateV1),
        ("v2 leads, accounts, contacts, opportunities", migrateV2),
        ("v3 tenant settings and teams", migrateV3),
        ("v4 idempotency key expiry", Idempotency.createExpiryIndex),
        ("v5 pipelines, opportunity columns and stage history", migrateV5),
        ("v6 quotes and number sequences", migrateV6),
        ("v7 proposals", migrateV7),
        ("v8 activities, consultations and daily reports", migrateV8),
        ("v9 sales targets and analytics indexes", migrateV9),
        ("v10 stage stays, close-date pushes, quote figures", migrateV10),
        ("v11 indexes for a deal's activity times", migrateV11),
    ]

    /// The schema version this code writes.
    public static var currentVersion: Int32 { Int32(migrations.count) }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier, migrate: migration.migrate)
        }
        return migrator
    }

    /// The version of an open database: the number of known migrations applied.
    /// - Throws: `StorageError.schemaNewerThanCode` if it has migrations this code does not know.
    static func version(of db: Database, tenantID: String) throws -> Int32 {
        let migrator = self.migrator
        if try migrator.hasBeenSuperseded(db) {
            throw StorageError.schemaNewerThanCode(tenantID: tenantID)
        }
        return Int32(try migrator.appliedIdentifiers(db).count)
    }

    /// Whether an open database must be migrated, read cheaply: the migrations mark the
    /// file's header with `user_version` (``migrate(_:)``), so a file at this code's
    /// version costs one PRAGMA, which reads the header without touching the schema.
    /// A file not marked (migrated before the mark existed, or never) is checked
    /// against GRDB's migration table.
    /// - Throws: `StorageError.schemaNewerThanCode` if it has migrations this code does not know.
    static func needsMigration(_ db: Database, tenantID: String) throws -> Bool {
        let marked = try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if marked == currentVersion { return false }
        if marked > currentVersion { throw StorageError.schemaNewerThanCode(tenantID: tenantID) }
        _ = try version(of: db, tenantID: tenantID)
        return true
    }

    /// Applies the migrations the database lacks, then marks its header with the
    /// version (`user_version`) for ``needsMigration(_:tenantID:)``. A crash between
    /// the two leaves the mark behind: the next open checks the migration table, finds
    /// nothing to do, and marks it.
    static func migrate(_ writer: some DatabaseWriter) throws {
        try migrator.migrate(writer)
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA user_version = \(currentVersion)") }
    }

    private static func migrateV1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE audit_event (
                    id TEXT PRIMARY KEY NOT NULL,
                    event_time_ms INTEGER NOT NULL,
                    actor_user_id TEXT NOT NULL,
                    method TEXT NOT NULL,
                    record_kind INTEGER NOT NULL,
                    record_id TEXT NOT NULL,
                    event BLOB NOT NULL
                );
                CREATE INDEX audit_event_record ON audit_event(record_kind, record_id, id);
                CREATE INDEX audit_event_actor ON audit_event(actor_user_id, id);
                CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """
        )
        try Idempotency.createTable(db)
    }

    /// Business records are stored whole (the protobuf message, `data`) with the
    /// columns that filters, scope checks and duplicate detection query.
    private static func migrateV2(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE account (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    archived INTEGER NOT NULL,
                    kind INTEGER NOT NULL,
                    industry TEXT NOT NULL,
                    name_key TEXT NOT NULL,
                    search TEXT NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX account_owner ON account(owner_user_id, id);
                CREATE INDEX account_name ON account(name_key);
                CREATE TABLE contact (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    account_id TEXT REFERENCES account(id),
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    archived INTEGER NOT NULL,
                    email_key TEXT NOT NULL,
                    person_key TEXT NOT NULL,
                    search TEXT NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX contact_account ON contact(account_id, id);
                CREATE INDEX contact_owner ON contact(owner_user_id, id);
                CREATE INDEX contact_email ON contact(email_key);
                CREATE INDEX contact_person ON contact(person_key);
                CREATE TABLE lead (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    custom_status TEXT NOT NULL,
                    lifecycle INTEGER NOT NULL,
                    source INTEGER NOT NULL,
                    email_key TEXT NOT NULL,
                    person_key TEXT NOT NULL,
                    search TEXT NOT NULL,
                    create_time_ms INTEGER NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX lead_owner ON lead(owner_user_id, id);
                CREATE INDEX lead_creator ON lead(created_by_user_id, id);
                CREATE INDEX lead_email ON lead(email_key);
                CREATE INDEX lead_person ON lead(person_key);
                CREATE TABLE opportunity (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    account_id TEXT NOT NULL REFERENCES account(id),
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    source_lead_id TEXT NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX opportunity_owner ON opportunity(owner_user_id, id);
                CREATE INDEX opportunity_account ON opportunity(account_id, id);
                """
        )
    }

    private static func migrateV3(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE tenant_settings (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    version INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE TABLE team (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    archived INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                """
        )
    }
}
