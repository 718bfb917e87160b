import GRDB

extension TenantSchema {
    /// v11: a deal's last and next activity times (`OpportunityActivityTimes`, run on
    /// every write of an activity or consultation linked to the deal) read from
    /// indexes: the max or min over the live entries is one seek. With the index on
    /// `(opportunity_id, state)` alone SQLite read every activity of the deal from
    /// the table on each such write; at 3,500 activities on one deal that was 1.3 ms
    /// of the tenant's writer per activity, and a soak of the sales-day mix slowed
    /// down as its deals filled up (docs/benchmarks.md, "A deal's activity times").
    static func migrateV11(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE INDEX activity_opportunity_times ON activity(opportunity_id, state, activity_time_ms) WHERE archived = 0;
                CREATE INDEX consultation_opportunity_times ON consultation(opportunity_id, start_time_ms) WHERE archived = 0;
                """
        )
    }
}
