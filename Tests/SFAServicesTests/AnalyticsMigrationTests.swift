import Foundation
import GRDB
import SFAStubs
import Testing

@testable import SFAStorage

/// Migration 9 copies what the figures aggregate out of the stored records into
/// columns, and dates every ended stay from the history written before it;
/// migration 10 makes the ended stays rows, counts the close-date pushes in the
/// history and copies the quote figures.
@Suite struct AnalyticsMigrationTests {
    @Test func recordsWrittenBeforeAnalyticsGetTheirFigureColumnsAndStayStarts() throws {
        let path = NSTemporaryDirectory() + "sfa-migration-" + UUID().uuidString + ".sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try DatabaseQueue(path: path)
        try TenantSchema.migrator.migrate(queue, upTo: "v8 activities, consultations and daily reports")
        var deal = Opportunity(id: "opp_01old", version: 3, state: .lost, lostReason: "price", closedTimeMs: 1_700_000_900_000, stageEnterTimeMs: 1_700_000_900_000)
        deal.weightedAmount = Money(currencyCode: "USD", amountMinor: 12_345)
        deal.source = .webinar
        var lead = Lead(id: "lead_01old", version: 2, convertedOpportunityId: "opp_01old", convertedTimeMs: 30, mqlTimeMs: 10, sqlTimeMs: 20)
        lead.createTimeMs = 5
        var activity = Activity()
        activity.id = "act_01old"
        activity.durationMs = 600_000
        activity.callResult = .voicemail
        try queue.write { db in
            try db.execute(sql: "INSERT INTO account (id, version, owner_user_id, created_by_user_id, archived, kind, industry, name_key, search, update_time_ms, data) VALUES ('acct_01old', 1, '', '', 0, 0, '', '', '', 0, x'')")
            try db.execute(
                sql: "INSERT INTO opportunity (id, version, account_id, owner_user_id, created_by_user_id, source_lead_id, update_time_ms, data) VALUES (?, 3, 'acct_01old', '', '', '', 0, ?)",
                arguments: [deal.id, Data(deal.serializedBytes())]
            )
            try db.execute(
                sql: """
                    INSERT INTO lead (id, version, owner_user_id, created_by_user_id, status, custom_status, lifecycle, source, email_key, person_key, search,
                        create_time_ms, update_time_ms, data) VALUES (?, 2, '', '', 6, '', 3, 4, '', '', '', 5, 5, ?)
                    """,
                arguments: [lead.id, Data(lead.serializedBytes())]
            )
            try db.execute(
                sql: """
                    INSERT INTO activity (id, version, owner_user_id, created_by_user_id, archived, kind, state, lead_id, account_id, opportunity_id,
                        consultation_id, contact_ids, attendee_user_ids, activity_time_ms, end_time_ms, activity_date, external_id, search, update_time_ms, data)
                    VALUES (?, 1, '', '', 0, 1, 2, '', '', '', '', '[]', '[]', 0, 0, '2026-01-05', '', '', 0, ?)
                    """,
                arguments: [activity.id, Data(activity.serializedBytes())]
            )
            // Created in A, moved to B, an amount change in B, lost from B.
            for (version, time, stage, previous) in [(1, 100, "stg_a", ""), (2, 200, "stg_b", "stg_a"), (3, 300, "stg_b", "stg_b"), (4, 450, "stg_l", "stg_b")] {
                try db.execute(
                    sql: "INSERT INTO opportunity_history (id, opportunity_id, version, change_time_ms, kind, stage_id, previous_stage_id, data) VALUES (?, 'opp_01old', ?, ?, 1, ?, ?, x'')",
                    arguments: ["ohist_\(version)", version, time, stage, previous]
                )
            }
        }
        try TenantSchema.migrator.migrate(queue)
        try queue.read { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT weighted_minor, closed_time_ms, source, lost_reason, stage_enter_time_ms FROM opportunity"))
            #expect(row[0] as Int64 == 12_345 && row[1] as Int64 == 1_700_000_900_000 && row[2] as Int32 == LeadSource.webinar.rawValue && row[3] as String == "price")
            #expect(row[4] as Int64 == 1_700_000_900_000)
            let leadRow = try #require(try Row.fetchOne(db, sql: "SELECT mql_time_ms, sql_time_ms, converted_time_ms, converted_opportunity_id FROM lead"))
            #expect(leadRow[0] as Int64 == 10 && leadRow[1] as Int64 == 20 && leadRow[2] as Int64 == 30 && leadRow[3] as String == "opp_01old")
            let activityRow = try #require(try Row.fetchOne(db, sql: "SELECT call_result, duration_ms FROM activity"))
            #expect(activityRow[0] as Int32 == CallResult.voicemail.rawValue && activityRow[1] as Int64 == 600_000)
            let starts = try Int64.fetchAll(db, sql: "SELECT previous_stage_enter_time_ms FROM opportunity_history ORDER BY version")
            #expect(starts == [0, 100, 0, 200])
        }
        // History is append-only again.
        #expect(throws: DatabaseError.self) { try queue.write { db in try db.execute(sql: "UPDATE opportunity_history SET kind = 2") } }
    }

    @Test func stagesStaysPushesAndQuoteFiguresWrittenBeforeVersion10AreFilledAndKeptByTheTriggers() throws {
        let path = NSTemporaryDirectory() + "sfa-migration-" + UUID().uuidString + ".sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try DatabaseQueue(path: path)
        try TenantSchema.migrator.migrate(queue, upTo: "v9 sales targets and analytics indexes")
        var quote = Quote(id: "quot_01old", version: 2, opportunityId: "opp_01old", currencyCode: "JPY", effectiveDiscountBps: 1250, requiresApproval: true)
        quote.subtotal = Money(currencyCode: "JPY", amountMinor: 80_000)
        quote.discountTotal = Money(currencyCode: "JPY", amountMinor: 10_000)
        (quote.createTimeMs, quote.submitTimeMs, quote.approvalDecisionTimeMs, quote.presentTimeMs) = (10, 20, 70, 90)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO account (id, version, owner_user_id, created_by_user_id, archived, kind, industry, name_key, search, update_time_ms, data) VALUES ('acct_01old', 1, '', '', 0, 0, '', '', '', 0, x'')")
            try db.execute(sql: """
                INSERT INTO opportunity (id, version, account_id, owner_user_id, created_by_user_id, source_lead_id, update_time_ms, team_id, pipeline_id,
                    source, create_time_ms, data)
                VALUES ('opp_01old', 5, 'acct_01old', 'usr_a', 'usr_a', '', 0, 't1', 'pipe_1', 3, 50, x'')
                """)
            // Created in A closing in March; pushed to April in A; moved to B; pulled
            // back to March 15; pushed to May and lost from B.
            let entries: [(Int64, Int64, String, String, Int64, String, String)] = [
                (1, 100, "stg_a", "", 0, "2027-03-31", ""), (2, 150, "stg_a", "stg_a", 0, "2027-04-30", "2027-03-31"),
                (3, 200, "stg_b", "stg_a", 100, "2027-04-30", "2027-04-30"), (4, 300, "stg_b", "stg_b", 0, "2027-03-15", "2027-04-30"),
                (5, 450, "stg_l", "stg_b", 200, "2027-05-31", "2027-03-15"),
            ]
            for (version, time, stage, previous, entered, close, previousClose) in entries {
                let entry = OpportunityHistoryEntry(
                    opportunityId: "opp_01old", expectedCloseDate: close, previousExpectedCloseDate: previousClose,
                    kind: version == 1 ? .created : .updated, version: version
                )
                try db.execute(
                    sql: """
                        INSERT INTO opportunity_history (id, opportunity_id, version, change_time_ms, kind, stage_id, previous_stage_id,
                            previous_stage_enter_time_ms, data) VALUES (?, 'opp_01old', ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: ["ohist_\(version)", version, time, entry.kind.rawValue, stage, previous, entered, Data(entry.serializedBytes())]
                )
            }
            try db.execute(
                sql: """
                    INSERT INTO quote (id, version, opportunity_id, account_id, owner_user_id, created_by_user_id, team_id, status, quote_number,
                        is_primary, superseded, valid_until_date, update_time_ms, search, data)
                    VALUES ('quot_01old', 2, 'opp_01old', 'acct_01old', 'usr_a', 'usr_a', 't1', 5, 'Q-000001', 0, 0, '', 0, '', ?)
                    """,
                arguments: [Data(quote.serializedBytes())]
            )
        }
        try TenantSchema.migrator.migrate(queue)
        let stays = "SELECT stage_id || '>' || next_stage_id || ' ' || enter_time_ms || '+' || length_ms || ' ' || owner_user_id FROM stage_stay ORDER BY version"
        try queue.read { db in
            #expect(try String.fetchAll(db, sql: stays) == ["stg_a>stg_b 100+100 usr_a", "stg_b>stg_l 200+250 usr_a"])
            #expect(try Int.fetchOne(db, sql: "SELECT close_date_push_count FROM opportunity") == 2)
            // Version 9's index of ended stays is gone: stage conversion reads stage_stay.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'opportunity_history_stays'") == 0)
            let row = try #require(try Row.fetchOne(db, sql: """
                SELECT create_time_ms, amount_currency, subtotal_minor, discount_minor, effective_discount_bps, requires_approval, submit_time_ms,
                    approval_decision_time_ms, present_time_ms FROM quote
                """))
            #expect(row[0] as Int64 == 10 && row[1] as String == "JPY" && row[2] as Int64 == 80_000 && row[3] as Int64 == 10_000)
            #expect(row[4] as Int32 == 1250 && row[5] as Bool && row[6] as Int64 == 20 && row[7] as Int64 == 70 && row[8] as Int64 == 90)
        }
        // The triggers: a new owner follows into the stays, a move out of a stage adds one.
        try queue.write { db in
            try db.execute(sql: "UPDATE opportunity SET owner_user_id = 'usr_b', team_id = 't2' WHERE id = 'opp_01old'")
            try db.execute(sql: """
                INSERT INTO opportunity_history (id, opportunity_id, version, change_time_ms, kind, stage_id, previous_stage_id, previous_stage_enter_time_ms, data)
                VALUES ('ohist_6', 'opp_01old', 6, 900, 1, 'stg_b', 'stg_l', 450, x'')
                """)
        }
        let (followed, teams) = try queue.read { db in
            (try String.fetchAll(db, sql: stays), try String.fetchAll(db, sql: "SELECT DISTINCT team_id FROM stage_stay"))
        }
        #expect(followed == ["stg_a>stg_b 100+100 usr_b", "stg_b>stg_l 200+250 usr_b", "stg_l>stg_b 450+450 usr_b"])
        #expect(teams == ["t2"])
    }
}
