import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.PipelineService`: the tenant's pipelines and their ordered stages. Tenant
/// admins change them; every member and partners read them. Exactly one live
/// pipeline is the default; stages that history refers to are retired, never deleted.
public struct PipelineService: PipelineServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    public func listPipelines(_ request: ListPipelinesRequest, context: ServerContext) async throws -> ListPipelinesResponse {
        let access = try await store.access(context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "")
        var query = RecordQuery<Pipeline>()
        query.archived(included: request.includeArchived)
        let (pipelines, next) = try await store.list(Pipeline.self, query, page: page, access: access)
        return ListPipelinesResponse(pipelines: pipelines, nextPageToken: next)
    }

    public func getPipeline(_ request: GetPipelineRequest, context: ServerContext) async throws -> Pipeline {
        try await store.get(Pipeline.self, id: request.id, access: try await store.access(context))
    }

    /// Creates a pipeline; its stages get new ids. Created as the default, it takes
    /// the default from the old one in the same transaction.
    public func createPipeline(_ request: CreatePipelineRequest, context: ServerContext) async throws -> Pipeline {
        let access = try await store.access(context)
        var pipeline = try Pipeline.proposed(request.pipeline)
        var validation = Validation()
        for (index, stage) in pipeline.stages.enumerated() {
            validation.check(stage.id.isEmpty, "pipeline.stages[\(index)].id", .notAllowed, "stage ids are made by the server")
        }
        try validation.throwIfInvalid()
        for index in pipeline.stages.indices {
            pipeline.stages[index].id = RecordID.make("stg")
            pipeline.stages[index].retired = false
        }
        pipeline.createdByUserId = access.principal.userID
        let proposed = pipeline
        return try await store.write(access, context: context, request: request) { db, trail in
            if proposed.isDefault { try Self.clearDefault(db, except: "", access: access, trail: &trail) }
            return try TenantStore.insert(db, &trail, proposed)
        }
    }

    /// Renames a pipeline, makes it the default, or replaces its stage list (see
    /// UpdatePipelineRequest): stages left out are retired or dropped, their open deals
    /// moved by `stage_remap` with history entries, all in one transaction.
    public func updatePipeline(_ request: UpdatePipelineRequest, context: ServerContext) async throws -> Pipeline {
        let access = try await store.access(context)
        let changes = request.pipeline ?? Pipeline()
        let mask = try UpdateMask<Pipeline>(request.updateMask, updatable: Pipeline.updatable, prefix: "pipeline")
        var validation = Validation()
        validation.bounded(changes.stages.count, "pipeline.stages", maximum: Pipeline.maximumStoredStages)
        validation.bounded(request.stageRemap.count, "stage_remap", maximum: Pipeline.maximumStages)
        for (from, to) in request.stageRemap {
            validation.reference(from, "stage_remap")
            validation.reference(to, "stage_remap[\(from)]")
        }
        try validation.throwIfInvalid()
        let remap = request.stageRemap
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, Pipeline.self, id: changes.id, access: access)
            try before.requireWritable()
            var moves: [(from: String, to: PipelineStage)] = []
            // The old default goes first: a unique index allows one default at a time.
            if mask.contains("is_default"), changes.isDefault, !before.isDefault, before.version == changes.version {
                try Self.clearDefault(db, except: before.id, access: access, trail: &trail)
            }
            let after = try TenantStore.commit(db, &trail, before: before, version: changes.version, action: .update, access: access) { after in
                try mask.apply(changes, to: &after)
                guard after.isDefault || !before.isDefault else {
                    throw StorageError.failedPrecondition(reason: "DEFAULT_REQUIRED", message: "make another pipeline the default instead")
                }
                if mask.contains("stages") {
                    moves = try PipelineStages.replace(db, before: before.stages, with: &after, remap: remap)
                }
            }
            for move in moves {
                try OpportunityRecords.moveOpenDeals(db, &trail, from: move.from, to: move.to, in: after.id, access: access)
            }
            return after
        }
    }

    /// Archives a pipeline that is neither the default nor holding open deals.
    public func archivePipeline(_ request: ArchivePipelineRequest, context: ServerContext) async throws -> Pipeline {
        let access = try await store.access(context)
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, Pipeline.self, id: request.id, access: access)
            guard !before.archived else { return before }
            guard !before.isDefault else {
                throw StorageError.failedPrecondition(reason: "DEFAULT_PIPELINE", message: "the default pipeline cannot be archived; make another one the default first")
            }
            let open = try Int.fetchOne(db, sql: "SELECT count(*) FROM opportunity WHERE pipeline_id = ? AND state = ? AND archived = 0", arguments: [before.id, OpportunityState.open.rawValue]) ?? 0
            guard open == 0 else {
                throw StorageError.failedPrecondition(reason: "PIPELINE_IN_USE", message: "\(open) open opportunities are in this pipeline; move them first")
            }
            return try TenantStore.commit(db, &trail, before: before, version: request.version, action: .archive, access: access) { $0.archived = true }
        }
    }

    /// Takes the default from every other pipeline (at most one: a unique index keeps it so).
    private static func clearDefault(_ db: Database, except id: String, access: RecordAccess, trail: inout AuditTrail) throws {
        for pipeline in try PipelineRecords.all(db) where pipeline.isDefault && pipeline.id != id {
            _ = try TenantStore.commit(db, &trail, before: pipeline, version: pipeline.version, action: .update, access: access) { $0.isDefault = false }
        }
    }
}
