import GRDB
import SFAStorage
public import SFAStubs

/// The stage transitions: one way to move an open deal, one way to close it, one way
/// to reopen it, so that no two methods apply overlapping closing rules.
extension OpportunityService {
    /// Moves an open deal to a live open stage of its pipeline or of `pipeline_id`.
    public func moveOpportunityStage(_ request: MoveOpportunityStageRequest, context: ServerContext) async throws -> Opportunity {
        let access = try await store.access(context)
        var validation = Validation()
        validation.reference(request.stageId, "stage_id")
        validation.check(!request.stageId.isEmpty, "stage_id", .required, "is required")
        validation.reference(request.pipelineId, "pipeline_id")
        try validation.throwIfInvalid()
        return try await store.modify(Opportunity.self, id: request.id, version: request.version, action: .stateChange, access: access, context: context, request: request) {
            db, before, after in
            try OpportunityRecords.requireOpen(before)
            try Self.move(db, before: before, after: &after, stageID: request.stageId, pipelineID: request.pipelineId, field: "stage_id")
        }
    }

    /// Moves an open deal into the live open stage `stageID` of its pipeline or of
    /// `pipelineID` (MoveOpportunityStage, and a consultation's deal update): values
    /// derived from the new stage, nothing when it is the current one.
    static func move(_ db: Database, before: Opportunity, after: inout Opportunity, stageID: String, pipelineID: String, field: String) throws {
        let pipeline = try PipelineRecords.usable(db, id: pipelineID.isEmpty ? before.pipelineId : pipelineID, field: "pipeline_id")
        let stage = try PipelineRecords.usableStage(stageID, of: pipeline, field: field)
        guard !stage.isClosed else {
            throw RPCError.invalidArgument(
                "closing is CloseOpportunity's",
                violations: [FieldViolation(field, .notAllowed, "\(stage.name) is a closed stage; use CloseOpportunity")]
            )
        }
        guard stage.id != before.stageId else { return }
        after.derive(in: pipeline.id, stage: stage)
        after.stageEnterTimeMs = nowMs()
    }

    /// Closes an open deal won or lost, into the pipeline's first live closed stage of
    /// that outcome or the one named; lost needs a live lost-reason key when the tenant
    /// requires one.
    public func closeOpportunity(_ request: CloseOpportunityRequest, context: ServerContext) async throws -> Opportunity {
        let access = try await store.access(context)
        var validation = Validation()
        validation.check(request.outcome == .won || request.outcome == .lost, "outcome", .unknownValue, "is WON or LOST")
        validation.reference(request.stageId, "stage_id")
        validation.date(request.closedDate, "closed_date", required: false)
        validation.text(request.closeNote, "close_note", required: false, maximumLength: 2000)
        validation.check(request.outcome != .won || request.lostReason.isEmpty, "lost_reason", .notAllowed, "a won deal has no lost reason")
        try validation.throwIfInvalid()
        return try await store.modify(Opportunity.self, id: request.id, version: request.version, action: .stateChange, access: access, context: context, request: request) {
            db, before, after in
            try OpportunityRecords.close(db, &after, as: request)
        }
    }

    /// Reopens a closed deal into `stage_id`, or the open stage it was closed from
    /// (the pipeline's first open stage when that one is retired); the close fields
    /// are cleared.
    public func reopenOpportunity(_ request: ReopenOpportunityRequest, context: ServerContext) async throws -> Opportunity {
        let access = try await store.access(context)
        var validation = Validation()
        validation.reference(request.stageId, "stage_id")
        try validation.throwIfInvalid()
        return try await store.modify(Opportunity.self, id: request.id, version: request.version, action: .stateChange, access: access, context: context, request: request) {
            db, before, after in
            guard before.state != .open else {
                throw StorageError.failedPrecondition(reason: "OPPORTUNITY_OPEN", message: "the opportunity is open; only a closed one is reopened")
            }
            let pipeline = try PipelineRecords.usable(db, id: before.pipelineId, field: "id")
            let stage: PipelineStage
            if request.stageId.isEmpty {
                let previous = try Self.stageClosedFrom(db, opportunityID: before.id)
                guard let open = previous.flatMap({ pipeline.liveStage($0) }).flatMap({ $0.isClosed ? nil : $0 }) ?? pipeline.firstOpenStage else {
                    throw StorageError.failedPrecondition(reason: "NO_OPEN_STAGE", message: "pipeline \(pipeline.id) has no open stage")
                }
                stage = open
            } else {
                stage = try PipelineRecords.usableStage(request.stageId, of: pipeline, field: "stage_id")
                guard !stage.isClosed else {
                    throw RPCError.invalidArgument("reopen into an open stage", violations: [FieldViolation("stage_id", .notAllowed, "\(stage.name) is closed")])
                }
            }
            after.derive(in: pipeline.id, stage: stage)
            after.stageEnterTimeMs = nowMs()
            after.lostReason = ""
            after.closeNote = ""
            after.closedDate = ""
            after.closedTimeMs = 0
        }
    }

    /// Gives the deal to another owner; the deal's team becomes the new owner's.
    public func assignOpportunity(_ request: AssignOpportunityRequest, context: ServerContext) async throws -> Opportunity {
        let access = try await store.access(context)
        let owner = try await store.owner(request.ownerUserId, access: access, field: "owner_user_id")
        let team = try await store.ownerTeam(owner, access: access)
        return try await store.modify(Opportunity.self, id: request.id, version: request.version, action: .update, access: access, context: context, request: request) {
            _, _, after in
            after.ownerUserId = owner
            after.teamId = team
        }
    }

    /// The stage a closed deal was closed from: the previous stage of its latest close.
    private static func stageClosedFrom(_ db: Database, opportunityID: String) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT previous_stage_id FROM opportunity_history WHERE opportunity_id = ? AND kind IN (?, ?) ORDER BY version DESC LIMIT 1"),
            arguments: [opportunityID, OpportunityChangeKind.closedWon.rawValue, OpportunityChangeKind.closedLost.rawValue]
        )
    }
}
