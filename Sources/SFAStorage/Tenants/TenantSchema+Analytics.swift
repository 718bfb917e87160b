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
                -- Activity figures over a date range, for the whole tenant and for a rep or
                -- a team, covering: the rows' blobs are never read.
                CREATE INDEX activity_date_figures ON activity(activity_date, owner_user_id, kind, state, call_result, duration_ms, archived)
                    WHERE archived = 0;
                CREATE INDEX activity_owner_figures ON activity(owner_user_id, activity_date, kind, state, call_result, duration_ms, archived)
                    WHERE archived = 0;
                ALTER TABLE opportunity_history ADD COLUMN previous_stage_enter_time_ms INTEGER NOT NULL DEFAULT 0;
                -- The deal figures read only these indexes, never the rows (whose blob sits
                -- before the columns): open deals by state (pipeline summary), deals by close
                -- date (sales metrics, forecast), leads by creation (funnel). Partial
                -- indexes list `archived` too: SQLite covers a query only with every
                -- column it names.
                CREATE INDEX opportunity_open_figures ON opportunity(state, owner_user_id, team_id, pipeline_id, stage_id, source,
                    expected_close_date, partner_source_id, amount_currency, amount_minor, weighted_minor, stage_enter_time_ms, archived)
                    WHERE archived = 0;
                CREATE INDEX opportunity_close_figures ON opportunity(close_date, state, owner_user_id, team_id, pipeline_id, source,
                    partner_source_id, forecast_category, amount_currency, amount_minor, weighted_minor, create_time_ms, closed_time_ms,
                    source_lead_id, stage_id, stage_enter_time_ms, id, archived)
                    WHERE archived = 0;
                CREATE INDEX lead_funnel ON lead(create_time_ms, owner_user_id, created_by_user_id, source, mql_time_ms, sql_time_ms,
                    converted_time_ms, converted_opportunity_id);
                -- The stays that ended: one per entry that moved a deal out of a stage.
                CREATE INDEX opportunity_history_stays ON opportunity_history(opportunity_id, previous_stage_id, stage_id,
                    previous_stage_enter_time_ms, change_time_ms)
                    WHERE previous_stage_id != '' AND previous_stage_id != stage_id;
                CREATE INDEX consultation_date_figures ON consultation(consultation_date, owner_user_id, archived) WHERE archived = 0;
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
        try fillStayStarts(db)
    }

    /// Each entry that moved a deal out of a stage gets the time the deal had entered
    /// it: the previous stage-changing entry's time. History is append-only; its guard
    /// is lifted for this one repair and put back.
    private static func fillStayStarts(_ db: Database) throws {
        try db.execute(
            sql: """
                DROP TRIGGER opportunity_history_no_update;
                WITH moves AS (
                    SELECT id, lag(change_time_ms) OVER (PARTITION BY opportunity_id ORDER BY version) AS entered
                    FROM opportunity_history WHERE stage_id != previous_stage_id
                )
                UPDATE opportunity_history SET previous_stage_enter_time_ms = moves.entered
                FROM moves WHERE moves.id = opportunity_history.id AND moves.entered IS NOT NULL;
                CREATE TRIGGER opportunity_history_no_update BEFORE UPDATE ON opportunity_history
                    BEGIN SELECT RAISE(ABORT, 'opportunity history is append-only'); END;
                """
        )
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
