import GRDB
import SFAStorage
import SFAStubs

/// Replacing a pipeline's stage list: kept stages keep their ids, new ones get ids,
/// and removed ones are retired when history or deals refer to them — their open
/// deals moving by the caller's remap — or dropped when nothing does.
enum PipelineStages {
    /// Rewrites `pipeline.stages` (the list as sent) into the stored list, and returns
    /// the moves of open deals the removals need (removed stage id → new stage).
    /// - Throws: INVALID_ARGUMENT for ids the pipeline does not have, a bad remap;
    ///   FAILED_PRECONDITION (STAGE_IN_USE) for a removed stage with open deals and no
    ///   remap, or a change of is_closed / is_won of a stage deals are in.
    static func replace(
        _ db: Database,
        before: [PipelineStage],
        with pipeline: inout Pipeline,
        remap: [String: String]
    ) throws -> [(from: String, to: PipelineStage)] {
        let old = Dictionary(before.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var live: [PipelineStage] = []
        var seen: Set<String> = []
        var validation = Validation()
        // A stage sent as retired is removed, so that a list read, edited and sent back works.
        for (index, var stage) in pipeline.stages.enumerated() where !stage.retired {
            let field = "pipeline.stages[\(index)].id"
            if stage.id.isEmpty {
                stage.id = RecordID.make("stg")
            } else if let previous = old[stage.id] {
                validation.check(seen.insert(stage.id).inserted, field, .duplicate, "stage \(stage.id) appears twice")
                if (previous.isClosed, previous.isWon) != (stage.isClosed, stage.isWon), try holdsDeals(db, stage: stage.id) {
                    throw StorageError.failedPrecondition(
                        reason: "STAGE_IN_USE",
                        message: "deals are in stage \(previous.name); a stage's open/won/lost kind cannot change while they are"
                    )
                }
            } else {
                validation.check(false, field, .notFound, "the pipeline has no stage \(stage.id)")
            }
            live.append(stage)
        }
        try validation.throwIfInvalid()

        let liveIDs = Set(live.map(\.id))
        var retired: [PipelineStage] = []
        var moves: [(from: String, to: PipelineStage)] = []
        for stage in before where !liveIDs.contains(stage.id) {
            let openDeals = try OpportunityRecords.openDeals(db, inStage: stage.id)
            if openDeals > 0 {
                guard let targetID = remap[stage.id] else {
                    throw StorageError.failedPrecondition(
                        reason: "STAGE_IN_USE",
                        message: "\(openDeals) open deals are in stage \(stage.name); name where they go in stage_remap"
                    )
                }
                guard let target = live.first(where: { $0.id == targetID && !$0.isClosed }) else {
                    throw RPCError.invalidArgument(
                        "bad stage remap",
                        violations: [FieldViolation("stage_remap[\(stage.id)]", .notFound, "\(targetID) is not an open stage of the new list")]
                    )
                }
                moves.append((stage.id, target))
            }
            if try openDeals > 0 || holdsDeals(db, stage: stage.id) || OpportunityHistory.refersTo(db, stageID: stage.id) {
                var kept = stage
                kept.retired = true
                retired.append(kept)
            }
        }
        let removed = Set(before.map(\.id)).subtracting(liveIDs)
        for key in remap.keys.sorted() where !removed.contains(key) {
            validation.check(false, "stage_remap[\(key)]", .inconsistent, "\(key) is not a stage this update removes")
        }
        try validation.throwIfInvalid()
        pipeline.stages = live + retired
        return moves
    }

    /// Whether any deal, in any state, is in the stage.
    private static func holdsDeals(_ db: Database, stage: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM opportunity WHERE stage_id = ?)"), arguments: [stage]) ?? false
    }
}
