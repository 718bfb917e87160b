import Foundation
import GRDB
import SFAStubs
import Testing

@testable import SFAStorage

/// Migration 9 copies what the figures aggregate out of the stored records into
/// columns, and dates every ended stay from the history written before it.
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
}
