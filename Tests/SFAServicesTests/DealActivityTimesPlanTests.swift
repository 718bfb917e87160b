import GRDB
import Testing

@testable import SFAServices
@testable import SFAStorage

/// Logging an activity on a deal refreshes the deal's last and next activity times;
/// that refresh must cost a seek per figure, not a read of every activity of the deal.
@Suite struct DealActivityTimesPlanTests {
    @Test func eachOfADealsActivityTimesIsReadFromAnIndexAlone() throws {
        let queue = try DatabaseQueue()
        try TenantSchema.migrate(queue)
        let plan = try queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + OpportunityActivityTimes.refreshSQL, arguments: ["opp", 2, 1]).map { $0["detail"] as String }
        }
        let activityReads = plan.filter { $0.contains(" activity ") }
        let consultationReads = plan.filter { $0.contains(" consultation ") }
        #expect(activityReads.count == 2 && activityReads.allSatisfy { $0.contains("INDEX activity_opportunity_times") }, "\(plan)")
        #expect(consultationReads.count == 1 && consultationReads.allSatisfy { $0.contains("INDEX consultation_opportunity_times") }, "\(plan)")
    }
}
