import Foundation
import GRDB
import SFAStubs
import Testing

@testable import SFAStorage

/// The migration that gave existing tenants their pipelines: a database at schema 4
/// with an opportunity as ConvertLead wrote it then (no validated pipeline or stage,
/// no derived values, no history) comes out placed, derived and with its history.
@Suite struct PipelineMigrationTests {
    @Test func anOpportunityWrittenBeforePipelinesIsPlacedInTheDefaultPipelineWithItsHistory() throws {
        let path = NSTemporaryDirectory() + "sfa-migration-" + UUID().uuidString + ".sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try DatabaseQueue(path: path)
        try TenantSchema.migrator.migrate(queue, upTo: "v4 idempotency key expiry")
        let old = Opportunity(
            id: "opp_01old", version: 1, name: "From conversion", accountId: "acct_01old",
            amount: Money(currencyCode: "USD", amountMinor: 250_001), expectedCloseDate: "2026-12-24",
            pipelineId: "", stageId: "", state: .open, sourceLeadId: "lead_01old",
            ownerUserId: "user_rep", createdByUserId: "user_inside", createTimeMs: 1_700_000_000_000, updateTimeMs: 1_700_000_000_000
        )
        // One without what the old ConvertLead did not require: amount, close date.
        let bare = Opportunity(
            id: "opp_01bare", version: 1, name: "Bare", accountId: "acct_01old", primaryContactId: "cont_01old",
            ownerUserId: "user_rep", createdByUserId: "user_inside", createTimeMs: 1_700_000_000_000, updateTimeMs: 1_700_000_000_000
        )
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO account (id, version, owner_user_id, created_by_user_id, archived, kind, industry, name_key, search, update_time_ms, data)
                    VALUES ('acct_01old', 1, 'user_rep', 'user_inside', 0, 1, '', 'old', 'old', 0, x'')
                    """
            )
            try db.execute(
                sql: """
                    INSERT INTO opportunity (id, version, account_id, owner_user_id, created_by_user_id, source_lead_id, update_time_ms, data)
                    VALUES (?, 1, 'acct_01old', 'user_rep', 'user_inside', 'lead_01old', ?, ?)
                    """,
                arguments: [old.id, old.updateTimeMs, Data(old.serializedBytes())]
            )
            try db.execute(
                sql: """
                    INSERT INTO opportunity (id, version, account_id, owner_user_id, created_by_user_id, source_lead_id, update_time_ms, data)
                    VALUES (?, 1, 'acct_01old', 'user_rep', 'user_inside', '', ?, ?)
                    """,
                arguments: [bare.id, bare.updateTimeMs, Data(bare.serializedBytes())]
            )
        }
        try TenantSchema.migrator.migrate(queue)

        try queue.read { db in
            let pipelines = try Data.fetchAll(db, sql: "SELECT data FROM pipeline WHERE is_default = 1").map { try Pipeline(serializedBytes: Array($0)) }
            #expect(pipelines.count == 1)
            let pipeline = try #require(pipelines.first)
            #expect(pipeline.stages.map(\.name).first == "Initial consultation")
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM opportunity WHERE id = ?", arguments: [old.id]))
            let repaired = try Opportunity(serializedBytes: Array(row["data"] as Data))
            #expect(repaired.pipelineId == pipeline.id)
            #expect(repaired.stageId == pipeline.stages[0].id)
            #expect(repaired.probabilityPercent == 10)
            #expect(repaired.forecastCategory == .pipeline)
            // 2,500.01 USD at 10% = 250.001 -> 250.00
            #expect(repaired.weightedAmount == Money(currencyCode: "USD", amountMinor: 25_000))
            #expect(repaired.stageEnterTimeMs == old.createTimeMs)
            #expect(row["stage_id"] as String == pipeline.stages[0].id)
            #expect(row["close_date"] as String == "2026-12-24")
            #expect(row["amount_sort"] as Int64 == 25_000_100)
            let history = try Data.fetchAll(db, sql: "SELECT data FROM opportunity_history WHERE opportunity_id = ?", arguments: [old.id])
                .map { try OpportunityHistoryEntry(serializedBytes: Array($0)) }
            #expect(history.map(\.kind) == [.created])
            #expect(history.first?.changedByUserId == "user_inside")
            #expect(history.first?.changeTimeMs == old.createTimeMs)
            #expect(history.first?.stageName == "Initial consultation")

            // 1,700,000,000,000 ms is 2023-11-14 (UTC); 90 days later, 2024-02-12.
            let filled = try Opportunity(serializedBytes: Array(try #require(try Data.fetchOne(db, sql: "SELECT data FROM opportunity WHERE id = ?", arguments: [bare.id]))))
            #expect(filled.amount == Money(currencyCode: "USD", amountMinor: 0))
            #expect(filled.expectedCloseDate == "2024-02-12")
            #expect(filled.contactRoles == [OpportunityContactRole(contactId: "cont_01old", isPrimary: true)])
            #expect(try String.fetchOne(db, sql: "SELECT contact_ids FROM opportunity WHERE id = ?", arguments: [bare.id]) == "[\"cont_01old\"]")
        }
    }
}
