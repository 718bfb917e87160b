import Foundation
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

    /// Every stage as one JSON argument for `json_each`: objects `{id, pipeline,
    /// position, kind}`, kind 0 open, 1 won, 2 lost (stage conversion compares
    /// positions in SQL).
    var json: String {
        struct Row: Encodable {
            let id: String
            let pipeline: String
            let position: Int32
            let kind: Int
        }
        let rows = byID.values.map { stage in
            Row(id: stage.stage.id, pipeline: stage.pipelineID, position: stage.position, kind: !stage.stage.isClosed ? 0 : stage.stage.isWon ? 1 : 2)
        }
        // Encoding strings and integers cannot fail.
        return String(decoding: (try? JSONEncoder().encode(rows)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
