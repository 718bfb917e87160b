import GRDB
import SFAStorage
import SFAStubs

/// Closing a deal: one rule for every path that closes one (CloseOpportunity, and
/// AcceptQuote when it closes the deal won).
extension OpportunityRecords {
    /// Closes the open `deal` as `request` says, into the pipeline's first live closed
    /// stage of that outcome or the one named: lost needs a live lost-reason key when
    /// the tenant requires one; the closed date is today (tenant time zone) or earlier.
    static func close(_ db: Database, _ deal: inout Opportunity, as request: CloseOpportunityRequest) throws {
        try requireOpen(deal)
        let won = request.outcome == .won
        let settings = try SettingsRecords.load(db)
        if !won { try checkLostReason(request.lostReason, settings: settings) }
        let pipeline = try PipelineRecords.usable(db, id: deal.pipelineId, field: "id")
        let stage: PipelineStage
        if request.stageId.isEmpty {
            guard let first = pipeline.stages.first(where: { $0.isClosed && $0.isWon == won && !$0.retired }) else {
                throw StorageError.failedPrecondition(reason: "NO_CLOSED_STAGE", message: "pipeline \(pipeline.id) has no \(won ? "won" : "lost") stage")
            }
            stage = first
        } else {
            stage = try PipelineRecords.usableStage(request.stageId, of: pipeline, field: "stage_id")
            guard stage.isClosed, stage.isWon == won else {
                throw RPCError.invalidArgument(
                    "the stage does not match the outcome",
                    violations: [FieldViolation("stage_id", .inconsistent, "\(stage.name) is not a \(won ? "won" : "lost") stage")]
                )
            }
        }
        let today = OpportunityRecords.today(in: settings.timeZone)
        guard request.closedDate <= today else {
            throw RPCError.invalidArgument("a deal closes today or earlier", violations: [FieldViolation("closed_date", .outOfRange, "is after today (\(today), \(settings.timeZone))")])
        }
        let now = nowMs()
        deal.derive(in: pipeline.id, stage: stage)
        deal.stageEnterTimeMs = now
        deal.lostReason = won ? "" : request.lostReason
        deal.closeNote = request.closeNote
        deal.closedDate = request.closedDate.isEmpty ? today : request.closedDate
        deal.closedTimeMs = now
    }

    /// Refuses a closed deal: it is reopened before it moves or closes again.
    static func requireOpen(_ opportunity: Opportunity) throws {
        guard opportunity.state == .open else {
            throw StorageError.failedPrecondition(
                reason: "OPPORTUNITY_CLOSED",
                message: "the opportunity is closed \(opportunity.state == .won ? "won" : "lost"); reopen it first"
            )
        }
    }

    /// A lost reason the tenant's settings accept: required when the tenant says so,
    /// and a live key of its list when given.
    static func checkLostReason(_ reason: String, settings: TenantSettings) throws {
        if reason.isEmpty {
            guard !settings.requireLostReason else {
                throw RPCError.invalidArgument("a lost reason is required", violations: [FieldViolation("lost_reason", .required, "this tenant requires a lost reason")])
            }
            return
        }
        guard let known = settings.lostReasons.first(where: { $0.key == reason }) else {
            throw RPCError.invalidArgument("unknown lost reason", violations: [FieldViolation("lost_reason", .notFound, "\(reason) is not a lost reason of this tenant")])
        }
        guard !known.retired else {
            throw RPCError.invalidArgument("retired lost reason", violations: [FieldViolation("lost_reason", .retired, "\(reason) is retired")])
        }
    }
}
