import Foundation
import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.OpportunityService`: deals on accounts, moving through pipeline stages,
/// with their stage history. Reps work their own, managers their team's; a partner
/// reads the deals that came from its leads.
public struct OpportunityService: OpportunityServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    /// Reads answer with the stored records' bytes (the server sends them without
    /// decoding); the typed functions decode the same answers.
    public var methodHandlers: [RPCMethodHandler] {
        typedMethodHandlers.replacing([
            RPCMethodHandler(method: OpportunityServiceMethods.getOpportunity) { (request: GetOpportunityRequest, context) in
                try await self.encodedOpportunity(request, context: context)
            },
            RPCMethodHandler(method: OpportunityServiceMethods.listOpportunities) { (request: ListOpportunitiesRequest, context) in
                try await self.encodedOpportunities(request, context: context)
            },
        ])
    }

    /// Creates an open deal on a live account: in the default pipeline's first open
    /// stage unless told otherwise, owned by the caller unless told otherwise, with
    /// its CREATED history entry.
    public func createOpportunity(_ request: CreateOpportunityRequest, context: ServerContext) async throws -> Opportunity {
        let access = try await store.access(context)
        return try await store.create(try Opportunity.proposed(request.opportunity), access: access, context: context, request: request) {
            db, opportunity in
            try OpportunityRecords.place(db, &opportunity)
        }
    }

    public func getOpportunity(_ request: GetOpportunityRequest, context: ServerContext) async throws -> Opportunity {
        try await encodedOpportunity(request, context: context).decoded()
    }

    func encodedOpportunity(_ request: GetOpportunityRequest, context: ServerContext) async throws -> EncodedMessage<Opportunity> {
        try await store.getEncoded(Opportunity.self, id: request.id, access: try await store.access(context))
    }

    /// Changes the deal's own fields; effective probability, category and weighted
    /// amount follow, and tracked changes leave a history entry. A closed deal keeps
    /// what the figures count (amount, close date, probability, category); a deal with
    /// a primary quote takes its amount from the quote.
    public func updateOpportunity(_ request: UpdateOpportunityRequest, context: ServerContext) async throws -> Opportunity {
        let mask = try UpdateMask<Opportunity>(request.updateMask, updatable: Opportunity.updatable, prefix: "opportunity")
        return try await store.update(request.opportunity ?? Opportunity(), mask: mask, access: try await store.access(context), context: context, request: request) {
            db, before, after in
            if before.state != .open, !mask.fields.isDisjoint(with: OpportunityRecords.frozenWhenClosed) {
                throw StorageError.failedPrecondition(
                    reason: "OPPORTUNITY_CLOSED",
                    message: "a closed deal keeps its amount, close date, probability and category; reopen it to change them"
                )
            }
            try OpportunityRecords.checkAmountChange(db, before: before, after: after)
            try OpportunityRecords.rederive(db, before: before, after: &after)
        }
    }

    public func listOpportunities(_ request: ListOpportunitiesRequest, context: ServerContext) async throws -> ListOpportunitiesResponse {
        try await encodedOpportunities(request, context: context).decoded()
    }

    func encodedOpportunities(_ request: ListOpportunitiesRequest, context: ServerContext) async throws -> EncodedMessage<ListOpportunitiesResponse> {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        validation.references([
            "owner_user_id": request.ownerUserId, "team_id": request.teamId, "pipeline_id": request.pipelineId,
            "account_id": request.accountId, "source_lead_id": request.sourceLeadId, "contact_id": request.contactId,
        ])
        validation.bounded(request.stageIds.count, "stage_ids")
        for (index, id) in request.stageIds.enumerated() { validation.reference(id, "stage_ids[\(index)]") }
        validation.bounded(request.forecastCategories.count, "forecast_categories")
        validation.bounded(request.states.count, "states")
        validation.dateRange(request.closeDateRange, "close_date_range")
        if let min = request.minAmount { validation.money(min, "min_amount") }
        if let max = request.maxAmount { validation.money(max, "max_amount") }
        if let min = request.minAmount, let max = request.maxAmount {
            validation.check(min.currencyCode == max.currencyCode, "max_amount.currency_code", .inconsistent, "both bounds are in one currency")
        }
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy, orders: Opportunity.orders)
        var query = RecordQuery<Opportunity>()
        query.search(request.query)
        query.equals("owner_user_id", request.ownerUserId)
        query.equals("team_id", request.teamId)
        query.equals("pipeline_id", request.pipelineId)
        query.equals("account_id", request.accountId)
        query.equals("source_lead_id", request.sourceLeadId)
        query.anyOf("stage_id", request.stageIds)
        query.anyOf("forecast_category", request.forecastCategories)
        query.anyOf("state", request.states)
        query.within("close_date", dates: request.closeDateRange)
        for (bound, comparison) in [(request.minAmount, ">="), (request.maxAmount, "<=")] {
            guard let bound else { continue }
            query.filter("amount_currency = ? AND amount_minor \(comparison) ?", [bound.currencyCode, bound.amountMinor])
        }
        if !request.contactId.isEmpty {
            query.filter("EXISTS (SELECT 1 FROM json_each(contact_ids) WHERE value = ?)", [request.contactId])
        }
        query.archived(included: request.includeArchived)
        query.within("update_time_ms", request.updateTime)
        let (opportunities, next) = try await store.listEncoded(Opportunity.self, query, page: page, access: access)
        return try store.listResponse(ListOpportunitiesResponse.self, recordsField: "opportunities", records: opportunities, nextPageToken: next)
    }

    /// Archives a deal (managers and admins: it leaves the figures).
    public func archiveOpportunity(_ request: ArchiveOpportunityRequest, context: ServerContext) async throws -> Opportunity {
        try await store.archive(Opportunity.self, id: request.id, version: request.version, access: try await store.access(context), context: context, request: request)
    }

    /// The deal's history, oldest first, if the caller may read the deal.
    public func getOpportunityHistory(_ request: GetOpportunityHistoryRequest, context: ServerContext) async throws -> GetOpportunityHistoryResponse {
        let access = try await store.access(context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "").request
        let after = page.after.map { Int64($0) ?? .max } ?? 0
        _ = try await store.getEncoded(Opportunity.self, id: request.opportunityId, access: access)
        let rows = try await store.read(access) { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT version, data FROM opportunity_history WHERE opportunity_id = ? AND version > ? ORDER BY version LIMIT ?"),
                arguments: [request.opportunityId, after, page.size]
            ).map { row -> (Int64, OpportunityHistoryEntry) in
                let data: [UInt8] = Array(row["data"] as Data)
                return (row["version"], try OpportunityHistoryEntry(serializedBytes: data))
            }
        }
        return GetOpportunityHistoryResponse(
            entries: rows.map(\.1),
            nextPageToken: page.nextToken(lastID: rows.last.map { String($0.0) }, count: rows.count)
        )
    }
}
