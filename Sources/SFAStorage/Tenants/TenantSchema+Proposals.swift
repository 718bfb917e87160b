import GRDB

extension TenantSchema {
    /// Proposals.
    static func migrateV7(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE proposal (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    opportunity_id TEXT NOT NULL REFERENCES opportunity(id),
                    account_id TEXT NOT NULL,
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    team_id TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    due_date TEXT NOT NULL,
                    superseded INTEGER NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    search TEXT NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX proposal_opportunity ON proposal(opportunity_id, id);
                CREATE INDEX proposal_owner ON proposal(owner_user_id, id);
                CREATE INDEX proposal_due_date ON proposal(due_date, id);
                """
        )
    }
}
