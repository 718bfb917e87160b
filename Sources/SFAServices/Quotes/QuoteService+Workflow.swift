import GRDB
import SFAStorage
public import SFAStubs

/// The quote workflow: Draft → (Needs approval → Approved / Rejected) → Presented →
/// Accepted / Declined / Expired, revisions, and the primary quote whose net total is
/// the deal's amount. Each transition checks the status as read (expiry included),
/// and writes the quote — and the deal when it changes too — in one transaction.
extension QuoteService {
    /// Submits a draft: over the tenant's threshold (snapshotted here) it waits for
    /// approval, within it it is approved at once.
    public func submitQuoteForApproval(_ request: SubmitQuoteForApprovalRequest, context: ServerContext) async throws -> Quote {
        var validation = Validation()
        validation.text(request.comment, "comment", required: false, maximumLength: 2000)
        try validation.throwIfInvalid()
        let comment = request.comment
        let caller = try context.requirePrincipal().userID
        return try await transition(request.id, version: request.version, context: context, request: request) { quote, settings, today in
            try Self.require(quote, in: [.draft])
            guard quote.lines.contains(where: { $0.kind != .text }) else {
                throw StorageError.failedPrecondition(reason: "QUOTE_EMPTY", message: "a quote without priced lines cannot be submitted")
            }
            try Self.requireValid(quote, today: today)
            try QuoteRecords.price(&quote, settings: settings)
            quote.approvalThresholdBps = settings.quoteDiscountApprovalThresholdBps
            quote.submitTimeMs = nowMs()
            quote.submitComment = comment
            quote.submittedByUserId = caller
            quote.approvalDecidedByUserId = ""
            quote.approvalDecisionTimeMs = quote.requiresApproval ? 0 : quote.submitTimeMs
            quote.status = quote.requiresApproval ? .needsApproval : .approved
        }
    }

    /// The owner takes a quote waiting for approval back to draft.
    public func recallQuote(_ request: RecallQuoteRequest, context: ServerContext) async throws -> Quote {
        let caller = try context.requirePrincipal().userID
        return try await transition(request.id, version: request.version, context: context, request: request) { quote, _, _ in
            try Self.require(quote, in: [.needsApproval])
            guard quote.ownerUserId == caller else {
                throw RPCError(code: .permissionDenied, message: "only the quote's owner recalls it", details: ErrorDetails(reason: "NOT_OWNER"))
            }
            quote.status = .draft
            quote.submitTimeMs = 0
            quote.submittedByUserId = ""
            quote.approvalThresholdBps = 0
        }
    }

    /// A manager of the owner's team, or an admin, approves; never the owner.
    public func approveQuote(_ request: ApproveQuoteRequest, context: ServerContext) async throws -> Quote {
        try await decide(request.id, version: request.version, approve: true, comment: request.comment, context: context, request: request)
    }

    /// Rejects with a comment; the owner revises to try again.
    public func rejectQuote(_ request: RejectQuoteRequest, context: ServerContext) async throws -> Quote {
        try await decide(request.id, version: request.version, approve: false, comment: request.comment, context: context, request: request)
    }

    /// Presents an approved quote (issue date today unless set); with document
    /// triggers on, its deal moves forward to the "quote presented" stage.
    public func presentQuote(_ request: PresentQuoteRequest, context: ServerContext) async throws -> Quote {
        try await transition(request.id, version: request.version, context: context, request: request) { quote, _, today in
            try Self.require(quote, in: [.approved])
            try Self.requireValid(quote, today: today)
            quote.status = .presented
            quote.presentTimeMs = nowMs()
            if quote.issueDate.isEmpty { quote.issueDate = today }
        } then: { db, trail, quote, access in
            try OpportunityRecords.advance(db, &trail, opportunityID: quote.opportunityId, on: .quotePresented, access: access)
        }
    }

    /// The customer accepts a presented quote that has not expired. Asked to close
    /// the deal, it becomes the primary quote first, so that the deal is won at this
    /// quote's net total, all in one transaction.
    public func acceptQuote(_ request: AcceptQuoteRequest, context: ServerContext) async throws -> Quote {
        try await respond(request.id, version: request.version, note: request.note, to: .accepted, context: context, request: request) { db, trail, quote, access in
            guard request.closeOpportunity else { return }
            let (_, deal) = try QuoteRecords.makePrimary(db, &trail, quote, access: access)
            _ = try TenantStore.commit(db, &trail, before: deal, version: deal.version, action: .stateChange, access: access) { after in
                try OpportunityRecords.close(db, &after, as: CloseOpportunityRequest(outcome: .won, closeNote: "Quote \(quote.quoteNumber) accepted"))
            }
        }
    }

    /// The customer declines a presented quote that has not expired.
    public func declineQuote(_ request: DeclineQuoteRequest, context: ServerContext) async throws -> Quote {
        try await respond(request.id, version: request.version, note: request.reason, to: .declined, context: context, request: request) { _, _, _, _ in }
    }

    /// Makes the next revision: a draft copy with the same number, priced anew; this
    /// one is superseded (read-only) and hands the primary flag over.
    public func reviseQuote(_ request: ReviseQuoteRequest, context: ServerContext) async throws -> Quote {
        let access = try await store.access(context)
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, Quote.self, id: request.id, access: access)
            try before.requireWritable()
            try Self.require(before.asSeen(today: try QuoteRecords.today(db)), in: [.approved, .rejected, .presented, .declined, .expired])
            let nextID = RecordID.make(Quote.idPrefix)
            _ = try TenantStore.commit(db, &trail, before: before, version: request.version, action: .stateChange, access: access) { old in
                old.supersededByQuoteId = nextID
                old.isPrimary = false
            }
            var next = try Quote.proposed(before)
            next.opportunityId = before.opportunityId
            next.accountId = before.accountId
            next.currencyCode = before.currencyCode
            next.quoteNumber = before.quoteNumber
            next.revision = before.revision + 1
            next.previousRevisionQuoteId = before.id
            next.status = .draft
            next.isPrimary = before.isPrimary
            next.ownerUserId = before.ownerUserId
            next.teamId = before.teamId
            next.createdByUserId = access.principal.userID
            next.issueDate = ""
            for index in next.lines.indices { next.lines[index].id = RecordID.make("qli") }
            let settings = try SettingsRecords.load(db)
            let revised = try TenantStore.insert(db, &trail, next, id: nextID) { _, quote in
                try QuoteRecords.price(&quote, settings: settings)
            }
            if revised.isPrimary { try QuoteRecords.syncOpportunity(db, &trail, primary: revised, access: access) }
            return revised
        }
    }

    /// Makes the quote its deal's only primary one; the deal's amount becomes its net total.
    public func setPrimaryQuote(_ request: SetPrimaryQuoteRequest, context: ServerContext) async throws -> SetPrimaryQuoteResponse {
        try await primary(request.id, version: request.version, on: true, context: context, request: request)
    }

    /// Ends the quote's primary status; the deal keeps its amount, editable again.
    public func clearPrimaryQuote(_ request: ClearPrimaryQuoteRequest, context: ServerContext) async throws -> SetPrimaryQuoteResponse {
        try await primary(request.id, version: request.version, on: false, context: context, request: request)
    }

    // MARK: Shared steps

    private func primary(_ id: String, version: Int64, on: Bool, context: ServerContext, request: some ProtoMessage) async throws -> SetPrimaryQuoteResponse {
        let access = try await store.access(context)
        return try await store.write(access, context: context, request: request) { db, trail in
            let quote = try RecordRows.fetch(db, Quote.self, id: id, access: access)
            try quote.requireWritable()
            guard quote.version == version else { throw StorageError.staleVersion(kind: Quote.table, id: id, current: quote.version) }
            if on {
                try Self.require(quote.asSeen(today: try QuoteRecords.today(db)), in: [.draft, .needsApproval, .approved, .presented, .accepted])
                let (primary, deal) = try QuoteRecords.makePrimary(db, &trail, quote, access: access)
                return SetPrimaryQuoteResponse(quote: primary, opportunity: deal)
            }
            let deal = try QuoteRecords.fetchOpportunity(db, quote)
            guard quote.isPrimary else { return SetPrimaryQuoteResponse(quote: quote, opportunity: deal) }
            try OpportunityRecords.requireOpen(deal)
            let cleared = try TenantStore.commit(db, &trail, before: quote, version: version, action: .update, access: access) { $0.isPrimary = false }
            let opportunity = try TenantStore.commit(db, &trail, before: deal, version: deal.version, action: .update, access: access) { $0.primaryQuoteId = "" }
            return SetPrimaryQuoteResponse(quote: cleared, opportunity: opportunity)
        }
    }

    /// Approves or rejects a quote waiting for approval, by someone other than its
    /// owner; the decider, time and comment are stored.
    private func decide(_ id: String, version: Int64, approve: Bool, comment: String, context: ServerContext, request: some ProtoMessage) async throws -> Quote {
        let caller = try context.requirePrincipal().userID
        var validation = Validation()
        validation.text(comment, "comment", required: !approve, maximumLength: 2000)
        try validation.throwIfInvalid()
        return try await transition(id, version: version, context: context, request: request) { quote, _, _ in
            try Self.require(quote, in: [.needsApproval])
            guard ![quote.ownerUserId, quote.createdByUserId, quote.submittedByUserId].contains(caller) else {
                throw RPCError(
                    code: .permissionDenied,
                    message: "nobody approves or rejects a quote they own, made or submitted",
                    details: ErrorDetails(reason: "SELF_APPROVAL")
                )
            }
            quote.status = approve ? .approved : .rejected
            quote.approvalDecidedByUserId = caller
            quote.approvalDecisionTimeMs = nowMs()
            quote.approvalComment = comment
        }
    }

    /// Records the customer's answer to a presented, unexpired quote, then `then`.
    private func respond(
        _ id: String,
        version: Int64,
        note: String,
        to status: QuoteStatus,
        context: ServerContext,
        request: some ProtoMessage,
        then: @escaping @Sendable (Database, inout AuditTrail, Quote, RecordAccess) throws -> Void
    ) async throws -> Quote {
        var validation = Validation()
        validation.text(note, status == .accepted ? "note" : "reason", required: false, maximumLength: 2000)
        try validation.throwIfInvalid()
        return try await transition(id, version: version, context: context, request: request) { quote, _, _ in
            try Self.require(quote, in: [.presented])
            quote.status = status
            quote.customerResponseTimeMs = nowMs()
            quote.customerResponseNote = note
        } then: { db, trail, quote, access in
            try then(db, &trail, quote, access)
        }
    }

    /// Moves the quote as read today (expiry applied) with `change`, through the
    /// engine's `modify`; `then` runs in the same transaction.
    private func transition(
        _ id: String,
        version: Int64,
        context: ServerContext,
        request: some ProtoMessage,
        change: @escaping @Sendable (inout Quote, TenantSettings, String) throws -> Void,
        then: @escaping @Sendable (Database, inout AuditTrail, Quote, RecordAccess) throws -> Void = { _, _, _, _ in }
    ) async throws -> Quote {
        let access = try await store.access(context)
        return try await store.modify(Quote.self, id: id, version: version, action: .stateChange, access: access, context: context, request: request) {
            db, _, after in
            let settings = try SettingsRecords.load(db)
            let today = OpportunityRecords.today(in: settings.timeZone)
            var seen = after.asSeen(today: today)
            try change(&seen, settings, today)
            after = seen
        } then: { db, trail, quote in
            try then(db, &trail, quote, access)
        }
    }

    /// Refuses a quote (as read today) in another status.
    static func require(_ quote: Quote, in statuses: Set<QuoteStatus>) throws {
        guard statuses.contains(quote.status) else {
            let reason = quote.status == .expired ? "QUOTE_EXPIRED" : "INVALID_STATE_TRANSITION"
            throw StorageError.failedPrecondition(reason: reason, message: "the quote is \(quote.status); this needs \(statuses.map { "\($0)" }.sorted().joined(separator: " or "))")
        }
    }

    /// Refuses a quote whose validity has already ended.
    static func requireValid(_ quote: Quote, today: String) throws {
        guard quote.validUntilDate >= today else {
            throw StorageError.failedPrecondition(reason: "QUOTE_EXPIRED", message: "the quote was valid until \(quote.validUntilDate); set a new date first")
        }
    }
}
