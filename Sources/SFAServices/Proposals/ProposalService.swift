import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.ProposalService`: proposal documents for opportunities. Draft → Submitted →
/// Under review → Accepted / Rejected, Withdrawn from any open status; revisions link
/// to the one they replace. Reps own theirs, managers their team's.
public struct ProposalService: ProposalServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    public func createProposal(_ request: CreateProposalRequest, context: ServerContext) async throws -> Proposal {
        let access = try await store.access(context)
        var proposal = try Proposal.proposed(request.proposal)
        proposal.status = .draft
        proposal.revision = 1
        return try await store.create(proposal, access: access, context: context, request: request) { db, proposal in
            guard let deal = try RecordRows.find(db, Opportunity.self, id: proposal.opportunityId, access: access) else {
                throw RPCError.invalidArgument("unknown opportunity", violations: [FieldViolation("proposal.opportunity_id", .notFound, "no opportunity \(proposal.opportunityId)")])
            }
            try deal.requireWritable()
            try ProposalRecords.link(db, &proposal, deal: deal)
        }
    }

    public func getProposal(_ request: GetProposalRequest, context: ServerContext) async throws -> Proposal {
        try await store.get(Proposal.self, id: request.id, access: try await store.access(context))
    }

    /// Edits a draft.
    public func updateProposal(_ request: UpdateProposalRequest, context: ServerContext) async throws -> Proposal {
        let mask = try UpdateMask<Proposal>(request.updateMask, updatable: Proposal.updatable, prefix: "proposal")
        return try await store.update(request.proposal ?? Proposal(), mask: mask, access: try await store.access(context), context: context, request: request) {
            db, before, after in
            try Self.require(before, in: [.draft])
            try ProposalRecords.link(db, &after, deal: try Self.deal(db, of: after))
        }
    }

    public func listProposals(_ request: ListProposalsRequest, context: ServerContext) async throws -> ListProposalsResponse {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        validation.references([
            "opportunity_id": request.opportunityId, "account_id": request.accountId, "owner_user_id": request.ownerUserId, "team_id": request.teamId,
        ])
        validation.bounded(request.statuses.count, "statuses")
        validation.dateRange(request.dueDateRange, "due_date_range")
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy, orders: Proposal.orders)
        var query = RecordQuery<Proposal>()
        query.search(request.query)
        query.equals("opportunity_id", request.opportunityId)
        query.equals("account_id", request.accountId)
        query.equals("owner_user_id", request.ownerUserId)
        query.equals("team_id", request.teamId)
        query.anyOf("status", request.statuses)
        query.within("due_date", dates: request.dueDateRange)
        let (proposals, next) = try await store.list(Proposal.self, query, page: page, access: access)
        return ListProposalsResponse(proposals: proposals, nextPageToken: next)
    }

    /// Submits a draft with its document; with document triggers on, the open deal
    /// moves forward to the "proposal submitted" stage in the same transaction.
    public func submitProposal(_ request: SubmitProposalRequest, context: ServerContext) async throws -> Proposal {
        let access = try await store.access(context)
        return try await transition(request.id, version: request.version, from: [.draft], to: .submitted, note: "", access: access, context: context, request: request) {
            proposal in
            guard proposal.document != nil else {
                throw RPCError.invalidArgument("a proposal is submitted with its document", violations: [FieldViolation("document", .required, "the proposal has no document")])
            }
            proposal.submitTimeMs = nowMs()
        } then: { db, trail, proposal in
            try ProposalRecords.requireQuoteReady(db, proposal)
            try OpportunityRecords.advance(db, &trail, opportunityID: proposal.opportunityId, on: .proposalSubmitted, access: access)
        }
    }

    public func markProposalUnderReview(_ request: MarkProposalUnderReviewRequest, context: ServerContext) async throws -> Proposal {
        try await transition(request.id, version: request.version, from: [.submitted], to: .underReview, note: "", access: try await store.access(context), context: context, request: request) {
            $0.reviewStartTimeMs = nowMs()
        }
    }

    public func acceptProposal(_ request: AcceptProposalRequest, context: ServerContext) async throws -> Proposal {
        try await conclude(request.id, version: request.version, to: .accepted, note: request.note, context: context, request: request)
    }

    public func rejectProposal(_ request: RejectProposalRequest, context: ServerContext) async throws -> Proposal {
        try await conclude(request.id, version: request.version, to: .rejected, note: request.reason, context: context, request: request)
    }

    public func withdrawProposal(_ request: WithdrawProposalRequest, context: ServerContext) async throws -> Proposal {
        try await conclude(request.id, version: request.version, to: .withdrawn, note: request.reason, context: context, request: request)
    }

    /// A new draft revision, linked to this one; this one becomes read-only (and
    /// withdrawn if the customer still had it).
    public func reviseProposal(_ request: ReviseProposalRequest, context: ServerContext) async throws -> Proposal {
        let access = try await store.access(context)
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, Proposal.self, id: request.id, access: access)
            try before.requireWritable()
            try Self.require(before, in: [.submitted, .underReview, .rejected, .withdrawn])
            let nextID = RecordID.make(Proposal.idPrefix)
            _ = try TenantStore.commit(db, &trail, before: before, version: request.version, action: .stateChange, access: access) { old in
                old.supersededByProposalId = nextID
                if old.status == .submitted || old.status == .underReview {
                    old.status = .withdrawn
                    old.decisionTimeMs = nowMs()
                    old.decisionNote = "superseded by revision \(before.revision + 1)"
                }
            }
            var next = try Proposal.proposed(before)
            next.opportunityId = before.opportunityId
            next.accountId = before.accountId
            next.status = .draft
            next.revision = before.revision + 1
            next.previousRevisionProposalId = before.id
            next.ownerUserId = before.ownerUserId
            next.teamId = before.teamId
            next.createdByUserId = access.principal.userID
            return try TenantStore.insert(db, &trail, next, id: nextID)
        }
    }

    // MARK: Shared steps

    /// Records the customer's decision, or the seller's withdrawal, with its note.
    private func conclude(_ id: String, version: Int64, to status: ProposalStatus, note: String, context: ServerContext, request: some ProtoMessage) async throws -> Proposal {
        var validation = Validation()
        validation.text(note, status == .accepted ? "note" : "reason", required: false, maximumLength: 2000)
        try validation.throwIfInvalid()
        let from: Set<ProposalStatus> = status == .withdrawn ? [.draft, .submitted, .underReview] : [.submitted, .underReview]
        return try await transition(id, version: version, from: from, to: status, note: note, access: try await store.access(context), context: context, request: request) {
            $0.decisionTimeMs = nowMs()
            $0.decisionNote = note
        }
    }

    /// Moves a proposal in one of `from` to `to`, with `change`, through the engine's
    /// `modify`; `then` runs in the same transaction.
    private func transition(
        _ id: String,
        version: Int64,
        from: Set<ProposalStatus>,
        to status: ProposalStatus,
        note: String,
        access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage,
        change: @escaping @Sendable (inout Proposal) throws -> Void,
        then: @escaping @Sendable (Database, inout AuditTrail, Proposal) throws -> Void = { _, _, _ in }
    ) async throws -> Proposal {
        try await store.modify(Proposal.self, id: id, version: version, action: .stateChange, access: access, context: context, request: request) {
            _, before, after in
            try Self.require(before, in: from)
            after.status = status
            try change(&after)
        } then: { db, trail, proposal in
            try then(db, &trail, proposal)
        }
    }

    private static func require(_ proposal: Proposal, in statuses: Set<ProposalStatus>) throws {
        guard statuses.contains(proposal.status) else {
            throw StorageError.failedPrecondition(
                reason: "INVALID_STATE_TRANSITION",
                message: "the proposal is \(proposal.status); this needs \(statuses.map { "\($0)" }.sorted().joined(separator: " or "))"
            )
        }
    }

    private static func deal(_ db: Database, of proposal: Proposal) throws -> Opportunity {
        guard let deal = try RecordRows.find(db, Opportunity.self, id: proposal.opportunityId) else {
            throw StorageError.notFound(kind: Opportunity.table, id: proposal.opportunityId)
        }
        return deal
    }
}
