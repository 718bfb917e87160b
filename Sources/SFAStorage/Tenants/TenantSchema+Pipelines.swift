import Foundation
import GRDB
import SFAMessages

extension TenantSchema {
    /// Pipelines, the opportunity columns their lists and analytics query, and the
    /// stage history. Every tenant gets the default pipeline; opportunities written
    /// before (by ConvertLead, without a validated stage) are placed in it — in their
    /// stage when it exists there, else its first — with their derived values and the
    /// CREATED history entry they lacked.
    static func migrateV5(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE pipeline (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    archived INTEGER NOT NULL,
                    is_default INTEGER NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                -- At most one default: a second one cannot be committed, whatever the code does.
                CREATE UNIQUE INDEX pipeline_default ON pipeline(is_default) WHERE is_default = 1;
                ALTER TABLE opportunity ADD COLUMN create_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN pipeline_id TEXT NOT NULL DEFAULT '';
                ALTER TABLE opportunity ADD COLUMN stage_id TEXT NOT NULL DEFAULT '';
                ALTER TABLE opportunity ADD COLUMN state INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE opportunity ADD COLUMN forecast_category INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN team_id TEXT NOT NULL DEFAULT '';
                ALTER TABLE opportunity ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN partner_source_id TEXT NOT NULL DEFAULT '';
                ALTER TABLE opportunity ADD COLUMN expected_close_date TEXT NOT NULL DEFAULT '';
                ALTER TABLE opportunity ADD COLUMN close_date TEXT NOT NULL DEFAULT '';
                ALTER TABLE opportunity ADD COLUMN amount_currency TEXT NOT NULL DEFAULT '';
                ALTER TABLE opportunity ADD COLUMN amount_minor INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN amount_sort INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN contact_ids TEXT NOT NULL DEFAULT '[]';
                ALTER TABLE opportunity ADD COLUMN search TEXT NOT NULL DEFAULT '';
                -- Derived from activities, outside the versioned record (see opportunities.proto).
                ALTER TABLE opportunity ADD COLUMN last_activity_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE opportunity ADD COLUMN next_activity_time_ms INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX opportunity_close_date ON opportunity(close_date, id);
                CREATE INDEX opportunity_amount ON opportunity(amount_sort, id);
                CREATE INDEX opportunity_stage ON opportunity(stage_id, state);
                CREATE INDEX opportunity_partner ON opportunity(partner_source_id, id);
                CREATE INDEX opportunity_source_lead ON opportunity(source_lead_id);
                CREATE TABLE opportunity_history (
                    id TEXT PRIMARY KEY NOT NULL,
                    opportunity_id TEXT NOT NULL REFERENCES opportunity(id),
                    -- The opportunity's version after the change: one entry per version at most.
                    version INTEGER NOT NULL,
                    change_time_ms INTEGER NOT NULL,
                    kind INTEGER NOT NULL,
                    stage_id TEXT NOT NULL,
                    previous_stage_id TEXT NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE UNIQUE INDEX opportunity_history_version ON opportunity_history(opportunity_id, version);
                CREATE INDEX opportunity_history_stage ON opportunity_history(stage_id);
                CREATE INDEX opportunity_history_previous_stage ON opportunity_history(previous_stage_id);
                CREATE TRIGGER opportunity_history_no_update BEFORE UPDATE ON opportunity_history
                    BEGIN SELECT RAISE(ABORT, 'opportunity history is append-only'); END;
                CREATE TRIGGER opportunity_history_no_delete BEFORE DELETE ON opportunity_history
                    BEGIN SELECT RAISE(ABORT, 'opportunity history is append-only'); END;
                """
        )
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let pipeline = PipelineData.defaultPipeline(id: RecordID.make("pipe"), stageIDs: { RecordID.make("stg") }, createdBy: "", now: now)
        try db.execute(
            sql: "INSERT INTO pipeline (id, version, archived, is_default, update_time_ms, data) VALUES (?, 1, 0, 1, ?, ?)",
            arguments: [pipeline.id, now, Data(pipeline.serializedBytes())]
        )
        try repairOpportunities(db, into: pipeline)
    }

    private static func repairOpportunities(_ db: Database, into pipeline: Pipeline) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT data FROM opportunity")
        let names = Dictionary(uniqueKeysWithValues: pipeline.stages.map { ($0.id, $0.name) })
        for row in rows {
            let data: Data = row["data"]
            var opportunity = try Opportunity(serializedBytes: Array(data))
            let stage = pipeline.stages.first { $0.id == opportunity.stageId } ?? pipeline.stages[0]
            opportunity.derive(in: pipeline.id, stage: stage)
            if opportunity.stageEnterTimeMs == 0 { opportunity.stageEnterTimeMs = opportunity.createTimeMs }
            var columns = opportunity.indexedColumns
            columns["data"] = Data(opportunity.serializedBytes())
            let columnNames = columns.keys.sorted()
            try db.execute(
                sql: "UPDATE opportunity SET \(columnNames.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                arguments: StatementArguments(columnNames.map { columns[$0] ?? nil }) + [opportunity.id]
            )
            try OpportunityHistory.record(
                db, from: nil, to: opportunity, stageName: { names[$0] ?? "" }, by: opportunity.createdByUserId,
                at: opportunity.createTimeMs, id: RecordID.make("ohist")
            )
        }
    }
}
