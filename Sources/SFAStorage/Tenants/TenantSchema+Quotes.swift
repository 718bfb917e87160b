import GRDB

extension TenantSchema {
    /// Quotes, and the tenant's number sequences (quote numbers).
    static func migrateV6(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE quote (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    opportunity_id TEXT NOT NULL REFERENCES opportunity(id),
                    account_id TEXT NOT NULL,
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    team_id TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    quote_number TEXT NOT NULL,
                    is_primary INTEGER NOT NULL,
                    superseded INTEGER NOT NULL,
                    valid_until_date TEXT NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    search TEXT NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX quote_opportunity ON quote(opportunity_id, id);
                CREATE INDEX quote_owner ON quote(owner_user_id, id);
                CREATE INDEX quote_valid_until ON quote(valid_until_date, id);
                CREATE INDEX quote_number ON quote(quote_number);
                -- One primary quote per opportunity: a second cannot be committed.
                CREATE UNIQUE INDEX quote_primary ON quote(opportunity_id) WHERE is_primary = 1;
                CREATE TABLE sequence (
                    name TEXT PRIMARY KEY NOT NULL,
                    next INTEGER NOT NULL
                );
                """
        )
    }
}
