import Foundation
import GRDB
import SFAMessages

extension TenantSchema {
    /// Pipelines, the opportunity columns their lists and analytics query, and the
    /// stage history. Every tenant gets the default pipeline; opportunities written
    /// before (by ConvertLead, with stage ids nothing validated) are placed in its
    /// first stage with their derived values, what they lacked filled in, and the
    /// CREATED history entry.
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
                CREATE INDEX opportunity_expected_close_date ON opportunity(expected_close_date, id);
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
        try repairOpportunities(db, into: try insertDefaultPipeline(db))
    }

    /// Inserts a new default pipeline, its id and stage ids made now: every tenant's
    /// are its own (a tenant made from the template gets its own in place of the
    /// template's, ``TenantTemplate``).
    static func insertDefaultPipeline(_ db: Database) throws -> Pipeline {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let pipeline = PipelineData.defaultPipeline(id: RecordID.make("pipe"), stageIDs: { RecordID.make("stg") }, createdBy: "", now: now)
        try db.execute(
            sql: "INSERT INTO pipeline (id, version, archived, is_default, update_time_ms, data) VALUES (?, 1, 0, 1, ?, ?)",
            arguments: [pipeline.id, now, Data(pipeline.serializedBytes())]
        )
        return pipeline
    }

    /// Repairs what the old ConvertLead wrote: placed in the first stage, derived
    /// values set, the source lead's source and partner copied, the primary contact as
    /// a contact role, and a missing amount or close date filled (0 in the tenant's
    /// currency; 90 days after creation) so that the deal is valid for its next change.
    /// The team stays empty: users' teams live in the control plane, which a tenant
    /// migration does not read; the deal takes its owner's team when next assigned. Columns and SQL are written out here, as this schema
    /// version has them: later code must not change what this migration does.
    private static func repairOpportunities(_ db: Database, into pipeline: Pipeline) throws {
        let settings = try Data.fetchOne(db, sql: "SELECT data FROM tenant_settings").map { try TenantSettings(serializedBytes: Array($0)) }
        let currency = settings.map(\.defaultCurrencyCode).flatMap { $0.isEmpty ? nil : $0 } ?? "USD"
        let names = Dictionary(uniqueKeysWithValues: pipeline.stages.map { ($0.id, $0.name) })
        for data in try Data.fetchAll(db, sql: "SELECT data FROM opportunity") {
            var opportunity = try Opportunity(serializedBytes: Array(data))
            if opportunity.amount == nil { opportunity.amount = Money(currencyCode: currency, amountMinor: 0) }
            if opportunity.expectedCloseDate.isEmpty {
                opportunity.expectedCloseDate = day(ofMilliseconds: opportunity.createTimeMs + 90 * 86_400_000)
            }
            if !opportunity.primaryContactId.isEmpty, opportunity.contactRoles.isEmpty {
                opportunity.contactRoles = [OpportunityContactRole(contactId: opportunity.primaryContactId, isPrimary: true)]
            }
            if let lead = try Data.fetchOne(db, sql: "SELECT data FROM lead WHERE id = ?", arguments: [opportunity.sourceLeadId]) {
                let lead = try Lead(serializedBytes: Array(lead))
                opportunity.source = lead.source
                opportunity.sourceDetail = lead.sourceDetail
                opportunity.partnerSourceId = lead.partnerSourceId
            }
            opportunity.derive(in: pipeline.id, stage: pipeline.stages[0])
            if opportunity.stageEnterTimeMs == 0 { opportunity.stageEnterTimeMs = opportunity.createTimeMs }
            let contactIDs = String(decoding: try JSONEncoder().encode(opportunity.contactRoles.map(\.contactId)), as: UTF8.self)
            try db.execute(
                sql: """
                    UPDATE opportunity SET create_time_ms = ?, pipeline_id = ?, stage_id = ?, state = ?, forecast_category = ?,
                        team_id = ?, partner_source_id = ?, expected_close_date = ?, close_date = ?, amount_currency = ?,
                        amount_minor = ?, amount_sort = ?, contact_ids = ?, search = ?, data = ?
                    WHERE id = ?
                    """,
                arguments: [
                    opportunity.createTimeMs, opportunity.pipelineId, opportunity.stageId, opportunity.state.rawValue,
                    opportunity.forecastCategory.rawValue, opportunity.teamId, opportunity.partnerSourceId, opportunity.expectedCloseDate,
                    opportunity.expectedCloseDate, opportunity.amount?.currencyCode ?? "", opportunity.amount?.amountMinor ?? 0,
                    opportunity.amountSortKey, contactIDs, opportunity.name.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " "),
                    Data(opportunity.serializedBytes()), opportunity.id,
                ]
            )
            let entry = OpportunityHistory.entry(
                from: nil, to: opportunity, stageName: { names[$0] ?? "" }, by: opportunity.createdByUserId, at: opportunity.createTimeMs,
                id: RecordID.make("ohist")
            )
            try db.execute(
                sql: """
                    INSERT INTO opportunity_history (id, opportunity_id, version, change_time_ms, kind, stage_id, previous_stage_id, data)
                    VALUES (?, ?, ?, ?, ?, ?, '', ?)
                    """,
                arguments: [entry.id, entry.opportunityId, entry.version, entry.changeTimeMs, entry.kind.rawValue, entry.stageId, Data(entry.serializedBytes())]
            )
        }
    }

    /// The UTC calendar day of a Unix time in milliseconds, YYYY-MM-DD.
    private static func day(ofMilliseconds ms: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let day = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        return String(format: "%04d-%02d-%02d", day.year ?? 1970, day.month ?? 1, day.day ?? 1)
    }
}
