import Foundation
import GRDB
import SFAMessages

extension TenantSchema {
    /// What the second round of analytics reads: the stays of deals in stages as rows
    /// of their own (`stage_stay`), the times a deal's close date was pushed, the quote
    /// figures as columns, and covering indexes for stalled deals, lost reasons, speed
    /// to lead and quote figures.
    static func migrateV10(_ db: Database) throws {
        try db.execute(
            sql: """
                -- Times the expected close date moved later: kept by the deal's recordChanged
                -- hook, outside the versioned record (as the activity times are).
                ALTER TABLE opportunity ADD COLUMN close_date_push_count INTEGER NOT NULL DEFAULT 0;
                -- Stalled deals: the open deals with their activity times, read from the index alone.
                CREATE INDEX opportunity_stall_figures ON opportunity(state, owner_user_id, team_id, pipeline_id, stage_id, source,
                    partner_source_id, expected_close_date, last_activity_time_ms, next_activity_time_ms, create_time_ms,
                    close_date_push_count, amount_currency, amount_minor, id, archived)
                    WHERE archived = 0;
                -- Lost reasons: the lost deals by close date.
                CREATE INDEX opportunity_lost_figures ON opportunity(state, close_date, owner_user_id, team_id, pipeline_id, source,
                    partner_source_id, lost_reason, amount_currency, amount_minor, archived)
                    WHERE archived = 0;
                -- One row per ended stay of a deal in a stage (the history entry that moved
                -- it out), with the deal's columns the figures filter, scope and group by.
                -- Triggers keep it in the transaction of the history entry and of every
                -- change of those columns, whatever path wrote them.
                CREATE TABLE stage_stay (
                    opportunity_id TEXT NOT NULL,
                    -- The history entry's version: one stay per entry.
                    version INTEGER NOT NULL,
                    stage_id TEXT NOT NULL,
                    next_stage_id TEXT NOT NULL,
                    enter_time_ms INTEGER NOT NULL,
                    length_ms INTEGER NOT NULL,
                    owner_user_id TEXT NOT NULL,
                    team_id TEXT NOT NULL,
                    pipeline_id TEXT NOT NULL,
                    source INTEGER NOT NULL,
                    partner_source_id TEXT NOT NULL,
                    archived INTEGER NOT NULL,
                    create_time_ms INTEGER NOT NULL,
                    PRIMARY KEY (opportunity_id, version)
                ) WITHOUT ROWID;
                -- The stays that began in a period, and a rep's or team's.
                CREATE INDEX stage_stay_enter ON stage_stay(enter_time_ms, stage_id, next_stage_id, length_ms, owner_user_id, team_id,
                    pipeline_id, source, partner_source_id, archived)
                    WHERE archived = 0;
                CREATE INDEX stage_stay_owner ON stage_stay(owner_user_id, stage_id, next_stage_id, enter_time_ms, length_ms, team_id,
                    pipeline_id, source, partner_source_id, archived)
                    WHERE archived = 0;
                -- Cumulative figures: a cohort of deals by creation, each deal's stays together.
                CREATE INDEX stage_stay_cohort ON stage_stay(create_time_ms, opportunity_id, stage_id, next_stage_id, length_ms,
                    owner_user_id, team_id, pipeline_id, source, partner_source_id, archived)
                    WHERE archived = 0;
                CREATE INDEX opportunity_cohort_figures ON opportunity(create_time_ms, state, stage_id, owner_user_id, team_id,
                    pipeline_id, source, partner_source_id, id, archived)
                    WHERE archived = 0;
                CREATE TRIGGER stage_stay_from_history AFTER INSERT ON opportunity_history
                    WHEN NEW.previous_stage_id != '' AND NEW.previous_stage_id != NEW.stage_id
                BEGIN
                    INSERT INTO stage_stay (opportunity_id, version, stage_id, next_stage_id, enter_time_ms, length_ms, owner_user_id,
                        team_id, pipeline_id, source, partner_source_id, archived, create_time_ms)
                    SELECT NEW.opportunity_id, NEW.version, NEW.previous_stage_id, NEW.stage_id, NEW.previous_stage_enter_time_ms,
                        NEW.change_time_ms - NEW.previous_stage_enter_time_ms, owner_user_id, team_id, pipeline_id, source,
                        partner_source_id, archived, create_time_ms
                    FROM opportunity WHERE id = NEW.opportunity_id;
                END;
                CREATE TRIGGER stage_stay_follows_deal
                    AFTER UPDATE OF owner_user_id, team_id, pipeline_id, source, partner_source_id, archived, create_time_ms ON opportunity
                    WHEN NEW.owner_user_id != OLD.owner_user_id OR NEW.team_id != OLD.team_id OR NEW.pipeline_id != OLD.pipeline_id
                        OR NEW.source != OLD.source OR NEW.partner_source_id != OLD.partner_source_id
                        OR NEW.archived != OLD.archived OR NEW.create_time_ms != OLD.create_time_ms
                BEGIN
                    UPDATE stage_stay SET owner_user_id = NEW.owner_user_id, team_id = NEW.team_id, pipeline_id = NEW.pipeline_id,
                        source = NEW.source, partner_source_id = NEW.partner_source_id, archived = NEW.archived,
                        create_time_ms = NEW.create_time_ms
                    WHERE opportunity_id = NEW.id;
                END;
                INSERT INTO stage_stay (opportunity_id, version, stage_id, next_stage_id, enter_time_ms, length_ms, owner_user_id,
                    team_id, pipeline_id, source, partner_source_id, archived, create_time_ms)
                SELECT h.opportunity_id, h.version, h.previous_stage_id, h.stage_id, h.previous_stage_enter_time_ms,
                    h.change_time_ms - h.previous_stage_enter_time_ms, o.owner_user_id, o.team_id, o.pipeline_id, o.source,
                    o.partner_source_id, o.archived, o.create_time_ms
                FROM opportunity_history h JOIN opportunity o ON o.id = h.opportunity_id
                WHERE h.previous_stage_id != '' AND h.previous_stage_id != h.stage_id;
                -- Speed to lead: a lead's first done activity or consultation, kept by their
                -- recordChanged hooks outside the versioned record (as a deal's activity times).
                ALTER TABLE lead ADD COLUMN first_touch_time_ms INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX activity_lead_touch ON activity(lead_id, state, activity_time_ms, archived) WHERE archived = 0;
                CREATE INDEX consultation_lead_touch ON consultation(lead_id, start_time_ms, archived) WHERE archived = 0;
                UPDATE lead SET first_touch_time_ms = coalesce((
                    SELECT min(touch) FROM (
                        SELECT min(activity_time_ms) AS touch FROM activity
                        WHERE lead_id = lead.id AND state = 2 AND archived = 0 AND activity_time_ms >= lead.create_time_ms
                        UNION ALL
                        SELECT min(start_time_ms) FROM consultation
                        WHERE lead_id = lead.id AND archived = 0 AND start_time_ms >= lead.create_time_ms
                    )
                ), 0);
                CREATE INDEX lead_touch_figures ON lead(create_time_ms, owner_user_id, created_by_user_id, source, first_touch_time_ms);
                ALTER TABLE quote ADD COLUMN create_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE quote ADD COLUMN amount_currency TEXT NOT NULL DEFAULT '';
                ALTER TABLE quote ADD COLUMN subtotal_minor INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE quote ADD COLUMN discount_minor INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE quote ADD COLUMN effective_discount_bps INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE quote ADD COLUMN requires_approval INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE quote ADD COLUMN submit_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE quote ADD COLUMN approval_decision_time_ms INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE quote ADD COLUMN present_time_ms INTEGER NOT NULL DEFAULT 0;
                -- A deal (a lead) by id with what the figures joining it read (a quote's
                -- deal, a converted lead's deal; a won deal's source lead), for its scope
                -- too: read by name, as SQLite otherwise takes the primary key, then the row.
                CREATE INDEX opportunity_by_id_figures ON opportunity(id, state, owner_user_id, partner_source_id, pipeline_id,
                    create_time_ms, closed_time_ms, amount_currency, amount_minor, archived);
                CREATE INDEX lead_by_id_figures ON lead(id, create_time_ms, owner_user_id, created_by_user_id);
                CREATE INDEX quote_figures ON quote(create_time_ms, owner_user_id, team_id, status, opportunity_id, amount_currency,
                    subtotal_minor, discount_minor, effective_discount_bps, requires_approval, submit_time_ms, approval_decision_time_ms,
                    present_time_ms);
                -- Stage conversion reads stage_stay now: version 9's index of ended stays
                -- would only cost every history insert (after the backfill above used it).
                DROP INDEX opportunity_history_stays;
                """
        )
        try fillPushCounts(db)
        try fillQuoteColumns(db)
    }

    /// Each deal's close-date pushes, counted from its history entries: an entry whose
    /// expected close date is later than the one before it.
    private static func fillPushCounts(_ db: Database) throws {
        var pushes: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT opportunity_id, data FROM opportunity_history WHERE kind != ?", arguments: [OpportunityChangeKind.created.rawValue]) {
            let entry = try OpportunityHistoryEntry(serializedBytes: Array(row["data"] as Data))
            if !entry.previousExpectedCloseDate.isEmpty, entry.expectedCloseDate > entry.previousExpectedCloseDate {
                pushes[row["opportunity_id"] as String, default: 0] += 1
            }
        }
        for (id, count) in pushes {
            try db.execute(sql: "UPDATE opportunity SET close_date_push_count = ? WHERE id = ?", arguments: [count, id])
        }
    }

    /// Copies the quote figures' columns out of the stored quotes. Columns and SQL are
    /// written out here, as this schema version has them.
    private static func fillQuoteColumns(_ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT id, data FROM quote") {
            let quote = try Quote(serializedBytes: Array(row["data"] as Data))
            try db.execute(
                sql: """
                    UPDATE quote SET create_time_ms = ?, amount_currency = ?, subtotal_minor = ?, discount_minor = ?, effective_discount_bps = ?,
                        requires_approval = ?, submit_time_ms = ?, approval_decision_time_ms = ?, present_time_ms = ?
                    WHERE id = ?
                    """,
                arguments: [
                    quote.createTimeMs, quote.currencyCode, quote.subtotal?.amountMinor ?? 0, quote.discountTotal?.amountMinor ?? 0,
                    quote.effectiveDiscountBps, quote.requiresApproval, quote.submitTimeMs, quote.approvalDecisionTimeMs, quote.presentTimeMs,
                    row["id"] as String,
                ]
            )
        }
    }
}
