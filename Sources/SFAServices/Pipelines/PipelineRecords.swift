import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How pipelines are stored and checked: the whole pipeline, stages included, is one
/// record; stage ids are unique across the tenant.
extension Pipeline: ArchivableRecord {
    static var table: String { "pipeline" }
    static var recordKind: RecordKind { .pipeline }
    static var idPrefix: String { "pipe" }
    static var fieldPath: String { "pipeline" }
    static var ownership: RecordOwnership { .tenantWide }
    static let updatable: Set<String> = ["name", "description", "stages", "is_default"]

    /// Live stages per pipeline.
    static let maximumStages = 50
    /// Stages per pipeline with the retired ones, which stay while history refers to them.
    static let maximumStoredStages = 200

    var columns: [String: (any DatabaseValueConvertible)?] {
        ["archived": archived, "is_default": isDefault, "update_time_ms": updateTimeMs]
    }

    /// The written rules (docs/domain.md): at least one open, one won and one lost
    /// live stage; won stages 100% and CLOSED, lost ones 0% and OMITTED, open ones
    /// never CLOSED; live stage names unique.
    func validate(prefix: String, into validation: inout Validation) {
        validation.text(name, prefix + "name", maximumLength: 100)
        validation.text(description, prefix + "description", required: false, maximumLength: 2000)
        validation.check(stages.filter { !$0.retired }.count <= Self.maximumStages, prefix + "stages", .tooMany, "a pipeline has at most \(Self.maximumStages) live stages")
        validation.check(stages.count <= Self.maximumStoredStages, prefix + "stages", .tooMany, "a pipeline keeps at most \(Self.maximumStoredStages) stages with the retired ones")
        var names: Set<String> = []
        var triggers: Set<StageTrigger> = []
        for (index, stage) in stages.enumerated() {
            let field = "\(prefix)stages[\(index)]."
            validation.text(stage.name, field + "name", maximumLength: 100)
            validation.text(stage.description, field + "description", required: false, maximumLength: 2000)
            validation.check((0...100).contains(stage.defaultProbabilityPercent), field + "default_probability_percent", .outOfRange, "is not 0 to 100")
            validation.known(stage.forecastCategory, field + "forecast_category")
            validation.check((0...3650).contains(stage.rottingDays), field + "rotting_days", .outOfRange, "is not 0 to 3650")
            validation.check(stage.isClosed || !stage.isWon, field + "is_won", .inconsistent, "only a closed stage is won")
            if stage.isClosed && stage.isWon {
                validation.check(stage.defaultProbabilityPercent == 100, field + "default_probability_percent", .inconsistent, "a won stage is 100%")
                validation.check(stage.forecastCategory == .closed, field + "forecast_category", .inconsistent, "a won stage is CLOSED")
            } else if stage.isClosed {
                validation.check(stage.defaultProbabilityPercent == 0, field + "default_probability_percent", .inconsistent, "a lost stage is 0%")
                validation.check(stage.forecastCategory == .omitted, field + "forecast_category", .inconsistent, "a lost stage is OMITTED")
            } else {
                validation.check(stage.forecastCategory != .closed, field + "forecast_category", .inconsistent, "an open stage is never CLOSED")
            }
            validation.known(stage.trigger, field + "trigger", required: false)
            validation.check(stage.trigger == .unspecified || !stage.isClosed, field + "trigger", .notAllowed, "documents move deals into open stages only")
            if !stage.retired {
                validation.check(names.insert(RecordText.key(stage.name)).inserted, field + "name", .duplicate, "another stage has this name")
                if stage.trigger != .unspecified {
                    validation.check(triggers.insert(stage.trigger).inserted, field + "trigger", .duplicate, "another stage has this trigger")
                }
            }
        }
        let live = stages.filter { !$0.retired }
        validation.check(live.contains { !$0.isClosed }, prefix + "stages", .required, "a pipeline needs an open stage")
        validation.check(live.contains { $0.isClosed && $0.isWon }, prefix + "stages", .required, "a pipeline needs a won stage")
        validation.check(live.contains { $0.isClosed && !$0.isWon }, prefix + "stages", .required, "a pipeline needs a lost stage")
    }

    /// The live stage `id`, if the pipeline has it.
    func liveStage(_ id: String) -> PipelineStage? {
        stages.first { $0.id == id && !$0.retired }
    }

    /// The first live open stage: where new deals start.
    var firstOpenStage: PipelineStage? {
        stages.first { !$0.isClosed && !$0.retired }
    }
}

/// Pipeline lookups other records' rules need.
enum PipelineRecords {
    /// Every pipeline of the tenant, archived ones included (a handful per tenant).
    static func all(_ db: Database) throws -> [Pipeline] {
        let statement = try db.cachedStatement(sql: "SELECT data FROM pipeline ORDER BY id")
        return try Data.fetchAll(statement).map { try Pipeline(serializedBytes: Array($0)) }
    }

    /// The tenant's default pipeline (every tenant has one: the schema seeds it and the
    /// service never clears it without setting another).
    static func defaultPipeline(_ db: Database) throws -> Pipeline {
        let statement = try db.cachedStatement(sql: "SELECT data FROM pipeline WHERE is_default = 1")
        guard let data = try Data.fetchOne(statement) else {
            throw StorageError.failedPrecondition(reason: "NO_DEFAULT_PIPELINE", message: "the tenant has no default pipeline")
        }
        return try Pipeline(serializedBytes: Array(data))
    }

    /// The live pipeline `id` for a record to use, or INVALID_ARGUMENT on `field`.
    static func usable(_ db: Database, id: String, field: String) throws -> Pipeline {
        guard let pipeline = try RecordRows.find(db, Pipeline.self, id: id) else {
            throw RPCError.invalidArgument("unknown pipeline", violations: [FieldViolation(field, .notFound, "no pipeline \(id)")])
        }
        guard !pipeline.archived else {
            throw RPCError.invalidArgument("archived pipeline", violations: [FieldViolation(field, .archived, "pipeline \(id) is archived")])
        }
        return pipeline
    }

    /// The live stage `id` of `pipeline`, or INVALID_ARGUMENT on `field`: not found
    /// there (another pipeline's, another tenant's, made up) or retired.
    static func usableStage(_ id: String, of pipeline: Pipeline, field: String) throws -> PipelineStage {
        guard let stage = pipeline.stages.first(where: { $0.id == id }) else {
            throw RPCError.invalidArgument("unknown stage", violations: [FieldViolation(field, .notFound, "pipeline \(pipeline.id) has no stage \(id)")])
        }
        guard !stage.retired else {
            throw RPCError.invalidArgument("retired stage", violations: [FieldViolation(field, .retired, "stage \(id) is retired")])
        }
        return stage
    }

    /// Every stage's name by id, retired stages and archived pipelines included: what
    /// history entries show.
    static func stageNames(_ db: Database) throws -> [String: String] {
        var names: [String: String] = [:]
        for pipeline in try all(db) {
            for stage in pipeline.stages { names[stage.id] = stage.name }
        }
        return names
    }
}
