import GRDB
import SFAStubs

/// The stages of every pipeline of the tenant (archived pipelines and retired
/// stages included: deals and history still name them), by id.
struct AnalyticsStages {
    struct Stage {
        let pipelineID: String
        let stage: PipelineStage
        /// Index in its pipeline's stage list.
        let position: Int32
    }

    let byID: [String: Stage]
    let pipelines: [Pipeline]

    init(_ db: Database) throws {
        pipelines = try PipelineRecords.all(db)
        var byID: [String: Stage] = [:]
        for pipeline in pipelines {
            for (position, stage) in pipeline.stages.enumerated() {
                byID[stage.id] = Stage(pipelineID: pipeline.id, stage: stage, position: Int32(position))
            }
        }
        self.byID = byID
    }

    /// A stage's code for SQL arithmetic: pipeline index × 10000, plus the position
    /// of an open stage, 9000 for a won stage, 9500 for a lost one. Within a
    /// pipeline, "further" is a larger code; `code % 10000 < 9000` is open.
    static let won: Int64 = 9000
    static let lost: Int64 = 9500

    func code(of stage: Stage) -> Int64 {
        let pipeline = Int64(pipelines.firstIndex { $0.id == stage.pipelineID } ?? 0) * 10_000
        return pipeline + (!stage.stage.isClosed ? Int64(stage.position) : stage.stage.isWon ? Self.won : Self.lost)
    }

    /// The stage with `code`.
    func stage(coded code: Int64) -> Stage? {
        byID.values.first { self.code(of: $0) == code }
    }

    /// SQL giving the code of the stage id in `column` (NULL for an unknown id): one
    /// CASE over the tenant's stages, so no row joins a stage table.
    func codeSQL(_ column: String) -> SQLConditions.Fragment {
        var sql = "CASE \(column)"
        var arguments: StatementArguments = []
        for stage in byID.values.sorted(by: { $0.stage.id < $1.stage.id }) {
            sql += " WHEN ? THEN ?"
            arguments += [stage.stage.id, code(of: stage)]
        }
        return (sql + " END", arguments)
    }
}
