import Foundation
public import GRDB
public import SFAMessages

/// The stage history of opportunities (Salesforce's OpportunityHistory): one entry per
/// change of stage, pipeline, amount, close date, probability, forecast category or
/// owner, and per close or reopen, with the values before it. Analytics read stage
/// durations and conversions from it.
public enum OpportunityHistory {
    /// The fields whose change makes an entry.
    static func tracked(_ opportunity: Opportunity) -> [String] {
        [
            opportunity.stageId, opportunity.pipelineId, opportunity.amount.map { "\($0.currencyCode) \($0.amountMinor)" } ?? "",
            opportunity.expectedCloseDate, "\(opportunity.probabilityPercent)", "\(opportunity.forecastCategory.rawValue)",
            opportunity.ownerUserId, "\(opportunity.state.rawValue)",
        ]
    }

    /// Whether the change from `before` (nil: creation) to `after` makes an entry.
    public static func changed(from before: Opportunity?, to after: Opportunity) -> Bool {
        before.map { tracked($0) != tracked(after) } ?? true
    }

    /// The entry for the change from `before` (nil: creation) to `after`, made by
    /// `userID` at `timeMs`; `stageName` names stages by id (retired ones too).
    public static func entry(
        from before: Opportunity?,
        to after: Opportunity,
        stageName: (String) -> String,
        by userID: String,
        at timeMs: Int64,
        id: String
    ) -> OpportunityHistoryEntry {
        OpportunityHistoryEntry(
            id: id,
            opportunityId: after.id,
            changeTimeMs: timeMs,
            changedByUserId: userID,
            stageId: after.stageId,
            stageName: stageName(after.stageId),
            previousStageId: before?.stageId ?? "",
            previousStageName: before.map { stageName($0.stageId) } ?? "",
            amount: after.amount,
            previousAmount: before?.amount,
            expectedCloseDate: after.expectedCloseDate,
            previousExpectedCloseDate: before?.expectedCloseDate ?? "",
            probabilityPercent: after.probabilityPercent,
            previousProbabilityPercent: before?.probabilityPercent ?? 0,
            forecastCategory: after.forecastCategory,
            previousForecastCategory: before?.forecastCategory ?? .unspecified,
            state: after.state,
            kind: kind(from: before, to: after),
            pipelineId: after.pipelineId,
            previousPipelineId: before?.pipelineId ?? "",
            ownerUserId: after.ownerUserId,
            previousOwnerUserId: before?.ownerUserId ?? "",
            previousState: before?.state ?? .unspecified,
            lostReason: after.state == .lost ? after.lostReason : "",
            version: after.version,
            previousStageEnterTimeMs: before.map { $0.stageId != after.stageId ? $0.stageEnterTimeMs : 0 } ?? 0
        )
    }

    /// Appends `entry`. Entries are keyed by (opportunity, version): a second entry for
    /// one version cannot be committed.
    public static func insert(_ db: Database, _ entry: OpportunityHistoryEntry) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO opportunity_history (id, opportunity_id, version, change_time_ms, kind, stage_id, previous_stage_id,
                    previous_stage_enter_time_ms, data)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            entry.id, entry.opportunityId, entry.version, entry.changeTimeMs, entry.kind.rawValue, entry.stageId, entry.previousStageId,
            entry.previousStageEnterTimeMs, Data(entry.serializedBytes()),
        ])
    }

    /// What a change was, the most significant first: creation, close and reopen,
    /// a move, a new owner, then any other tracked field.
    static func kind(from before: Opportunity?, to after: Opportunity) -> OpportunityChangeKind {
        guard let before else { return .created }
        if before.state != after.state {
            switch after.state {
            case .won: return .closedWon
            case .lost: return .closedLost
            default: return .reopened
            }
        }
        if before.pipelineId != after.pipelineId { return .pipelineChanged }
        if before.stageId != after.stageId { return .stageChanged }
        if before.ownerUserId != after.ownerUserId { return .ownerChanged }
        return .updated
    }

    /// Whether any history entry refers to the stage (it may then only be retired).
    public static func refersTo(_ db: Database, stageID: String) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM opportunity_history WHERE stage_id = ?)
                        OR EXISTS (SELECT 1 FROM opportunity_history WHERE previous_stage_id = ?)
                    """
            ),
            arguments: [stageID, stageID]
        ) ?? false
    }
}
