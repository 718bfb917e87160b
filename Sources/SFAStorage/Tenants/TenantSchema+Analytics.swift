import Foundation
import GRDB
import SFAMessages

extension TenantSchema {
    /// The columns the analytics queries aggregate, filled for the records written
    /// before, and the indexes that keep every query off full scans of the large
    /// tables. Until now these fields lived only inside `data`, which SQL cannot read.
    static func migrateV9(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE opportunity ADD COLUMN weighted_minor INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN stage_enter_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN closed_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN source INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN lost_reason TEXT NOT NULL DEFAULT '';
                ALTER TABLE lead ADD COLUMN mql_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE lead ADD COLUMN sql_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE lead ADD COLUMN converted_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE lead ADD COLUMN converted_opportunity_id TEXT NOT NULL DEFAULT '';
                ALTER TABLE activity ADD COLUMN call_result INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE activity ADD COLUMN duration_ms INTEGER NOT NULL DEFAULT 0;
                -- Activity figures over a date range for the whole tenant (the existing
                -- (owner, date) index serves one rep or a team), covering: the rows'
                -- blobs are never read.
                CREATE INDEX activity_date_figures ON activity(activity_date, owner_user_id, kind, state, call_result, duration_ms)
                    WHERE archived = 0;
                CREATE TABLE sales_target (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    -- The user the target is for ('' for a team's or the tenant's): the scope column.
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    team_id TEXT NOT NULL,
                    month TEXT NOT NULL,
                    amount_currency TEXT NOT NULL,
                    amount_minor INTEGER NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                -- One target per user, team and month: a second cannot be committed.
                CREATE UNIQUE INDEX sales_target_key ON sales_target(owner_user_id, team_id, month);
                CREATE INDEX sales_target_month ON sales_target(month);
                """
        )
        try fillAnalyticsColumns(db)
    }

    /// Copies the new columns' values out of the stored records. Columns and SQL are
    /// written out here, as this schema version has them.
    private static func fillAnalyticsColumns(_ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT id, data FROM opportunity") {
            let opportunity = try Opportunity(serializedBytes: Array(row["data"] as Data))
            try db.execute(
                sql: """
                    UPDATE opportunity SET weighted_minor = ?, stage_enter_time_ms = ?, closed_time_ms = ?, source = ?, lost_reason = ?
                    WHERE id = ?
                    """,
                arguments: [
                    opportunity.weightedAmount?.amountMinor ?? 0, opportunity.stageEnterTimeMs, opportunity.closedTimeMs,
                    opportunity.source.rawValue, opportunity.lostReason, row["id"] as String,
                ]
            )
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, data FROM activity") {
            let activity = try Activity(serializedBytes: Array(row["data"] as Data))
            try db.execute(
                sql: "UPDATE activity SET call_result = ?, duration_ms = ? WHERE id = ?",
                arguments: [activity.callResult.rawValue, activity.durationMs, row["id"] as String]
            )
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, data FROM lead") {
            let lead = try Lead(serializedBytes: Array(row["data"] as Data))
            try db.execute(
                sql: "UPDATE lead SET mql_time_ms = ?, sql_time_ms = ?, converted_time_ms = ?, converted_opportunity_id = ? WHERE id = ?",
                arguments: [lead.mqlTimeMs, lead.sqlTimeMs, lead.convertedTimeMs, lead.convertedOpportunityId, row["id"] as String]
            )
        }
    }
}
