import GRDB

extension TenantSchema {
    /// Activities, consultations and daily reports with their comments and the
    /// records a submitted report covers. JSON array columns (`contact_ids`,
    /// `attendee_user_ids`) are read with `json_each` by the lists' filters and the
    /// attendees' read scope.
    static func migrateV8(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE activity (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    archived INTEGER NOT NULL,
                    kind INTEGER NOT NULL,
                    state INTEGER NOT NULL,
                    lead_id TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    opportunity_id TEXT NOT NULL,
                    consultation_id TEXT NOT NULL,
                    contact_ids TEXT NOT NULL,
                    attendee_user_ids TEXT NOT NULL,
                    activity_time_ms INTEGER NOT NULL,
                    end_time_ms INTEGER NOT NULL,
                    activity_date TEXT NOT NULL,
                    external_id TEXT NOT NULL,
                    search TEXT NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX activity_owner_time ON activity(owner_user_id, activity_time_ms);
                CREATE INDEX activity_owner_date ON activity(owner_user_id, activity_date);
                CREATE INDEX activity_time ON activity(activity_time_ms, id);
                CREATE INDEX activity_opportunity ON activity(opportunity_id, state);
                CREATE INDEX activity_account ON activity(account_id, id);
                CREATE INDEX activity_lead ON activity(lead_id, id);
                CREATE INDEX activity_consultation ON activity(consultation_id);
                -- One activity per external id and owner: the integrations' upsert key.
                CREATE UNIQUE INDEX activity_external ON activity(owner_user_id, external_id) WHERE external_id != '';
                CREATE TABLE consultation (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    archived INTEGER NOT NULL,
                    channel INTEGER NOT NULL,
                    result INTEGER NOT NULL,
                    interest INTEGER NOT NULL,
                    lead_id TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    opportunity_id TEXT NOT NULL,
                    contact_ids TEXT NOT NULL,
                    attendee_user_ids TEXT NOT NULL,
                    start_time_ms INTEGER NOT NULL,
                    consultation_date TEXT NOT NULL,
                    next_contact_date TEXT NOT NULL,
                    search TEXT NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX consultation_owner_date ON consultation(owner_user_id, consultation_date);
                CREATE INDEX consultation_start ON consultation(start_time_ms, id);
                CREATE INDEX consultation_opportunity ON consultation(opportunity_id);
                CREATE INDEX consultation_account ON consultation(account_id, id);
                CREATE INDEX consultation_lead ON consultation(lead_id, id);
                CREATE TABLE daily_report (
                    id TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    owner_user_id TEXT NOT NULL,
                    created_by_user_id TEXT NOT NULL,
                    team_id TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    report_date TEXT NOT NULL,
                    approver_user_id TEXT NOT NULL,
                    -- JSON array: who reads the report besides its scope (the approver).
                    reader_user_ids TEXT NOT NULL,
                    submit_time_ms INTEGER NOT NULL,
                    update_time_ms INTEGER NOT NULL,
                    -- Derived from daily_report_comment, outside the versioned record:
                    -- a comment never makes the approver's version stale.
                    comment_count INTEGER NOT NULL DEFAULT 0,
                    data BLOB NOT NULL
                );
                CREATE UNIQUE INDEX daily_report_owner_date ON daily_report(owner_user_id, report_date);
                CREATE INDEX daily_report_date ON daily_report(report_date, id);
                CREATE INDEX daily_report_approver ON daily_report(approver_user_id, status);
                CREATE TABLE daily_report_comment (
                    id TEXT PRIMARY KEY NOT NULL,
                    daily_report_id TEXT NOT NULL REFERENCES daily_report(id),
                    data BLOB NOT NULL
                );
                CREATE INDEX daily_report_comment_report ON daily_report_comment(daily_report_id, id);
                CREATE TRIGGER daily_report_comment_no_update BEFORE UPDATE ON daily_report_comment
                    BEGIN SELECT RAISE(ABORT, 'daily report comments are immutable'); END;
                CREATE TRIGGER daily_report_comment_no_delete BEFORE DELETE ON daily_report_comment
                    BEGIN SELECT RAISE(ABORT, 'daily report comments are immutable'); END;
                -- The done activities and consultations a report linked when last
                -- submitted: locked while that report is submitted or approved.
                CREATE TABLE daily_report_item (
                    record_id TEXT NOT NULL,
                    daily_report_id TEXT NOT NULL REFERENCES daily_report(id),
                    PRIMARY KEY (record_id, daily_report_id)
                );
                CREATE INDEX daily_report_item_report ON daily_report_item(daily_report_id);
                """
        )
    }
}
