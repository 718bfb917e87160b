import GRDB
import SFAStorage
import SFAStubs

extension OpportunityRecords {
    /// Moves the open deal forward to its pipeline's live stage with `trigger`, when
    /// the tenant turned document triggers on (presenting a quote, submitting a
    /// proposal), in the document's transaction and with the deal's history entry. A
    /// deal already at or past that stage, closed or archived, stays where it is.
    static func advance(_ db: Database, _ trail: inout AuditTrail, opportunityID: String, on trigger: StageTrigger, access: RecordAccess) throws {
        guard try SettingsRecords.load(db).advanceStageOnDocuments,
            let deal = try RecordRows.find(db, Opportunity.self, id: opportunityID), deal.state == .open, !deal.archived,
            let pipeline = try RecordRows.find(db, Pipeline.self, id: deal.pipelineId),
            let target = pipeline.stages.firstIndex(where: { $0.trigger == trigger && !$0.retired && !$0.isClosed }),
            let current = pipeline.stages.firstIndex(where: { $0.id == deal.stageId }), target > current
        else { return }
        _ = try TenantStore.commit(db, &trail, before: deal, version: deal.version, action: .stateChange, access: access) { after in
            after.derive(in: pipeline.id, stage: pipeline.stages[target])
            after.stageEnterTimeMs = nowMs()
        }
    }
}
