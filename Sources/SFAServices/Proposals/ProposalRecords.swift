import GRDB
import SFAStorage
import SFAStubs

/// How proposals are stored and checked. A superseded revision is read-only.
extension Proposal: OwnedRecord {
    static var table: String { "proposal" }
    static var recordKind: RecordKind { .proposal }
    static var idPrefix: String { "prop" }
    static var fieldPath: String { "proposal" }

    /// What UpdateProposal changes on a draft.
    static let updatable: Set<String> = ["title", "summary", "recipient_contact_id", "quote_id", "proposed_value", "due_date", "document"]

    static var creatable: Set<String> { updatable.union(["opportunity_id", "owner_user_id"]) }

    static let orders = ["due_date": "due_date"]

    var recordTeam: String? {
        get { teamId }
        set { teamId = newValue ?? "" }
    }

    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "opportunity_id": opportunityId, "account_id": accountId, "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId,
            "team_id": teamId, "status": status.rawValue, "due_date": dueDate, "superseded": !supersededByProposalId.isEmpty,
            "update_time_ms": updateTimeMs, "search": RecordText.search(title),
        ]
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.text(title, prefix + "title")
        validation.text(summary, prefix + "summary", required: false, maximumLength: 10_000)
        validation.reference(opportunityId, prefix + "opportunity_id")
        validation.check(!opportunityId.isEmpty, prefix + "opportunity_id", .required, "is required")
        validation.reference(recipientContactId, prefix + "recipient_contact_id")
        validation.reference(quoteId, prefix + "quote_id")
        if let proposedValue { validation.money(proposedValue, prefix + "proposed_value") }
        validation.date(dueDate, prefix + "due_date", required: false)
        validation.document(document, prefix + "document")
    }

    func requireWritable() throws {
        guard supersededByProposalId.isEmpty else {
            throw StorageError.failedPrecondition(reason: "SUPERSEDED", message: "revision \(revision) was superseded by \(supersededByProposalId); it is read-only")
        }
    }
}

/// Proposal rules that read the deal, its contacts and quotes.
enum ProposalRecords {
    /// Checks the links of a proposal in its transaction: the deal (within the
    /// caller's scope on create) gives the account; the value is in the deal's
    /// currency; the recipient is a live contact of the account; the quote is a live
    /// revision of a quote of the same deal.
    static func link(_ db: Database, _ proposal: inout Proposal, deal: Opportunity) throws {
        proposal.accountId = deal.accountId
        var validation = Validation()
        if let value = proposal.proposedValue, let currency = deal.amount?.currencyCode {
            validation.check(value.currencyCode == currency, "proposal.proposed_value.currency_code", .inconsistent, "is not the deal's currency \(currency)")
        }
        if !proposal.recipientContactId.isEmpty {
            let contact = try RecordRows.find(db, Contact.self, id: proposal.recipientContactId)
            validation.check(contact != nil && contact?.archived == false, "proposal.recipient_contact_id", .notFound, "no live contact \(proposal.recipientContactId)")
            validation.check(contact == nil || contact?.accountId == deal.accountId, "proposal.recipient_contact_id", .inconsistent, "is not a contact of account \(deal.accountId)")
        }
        if !proposal.quoteId.isEmpty {
            let quote = try RecordRows.find(db, Quote.self, id: proposal.quoteId)
            validation.check(quote != nil, "proposal.quote_id", .notFound, "no quote \(proposal.quoteId)")
            validation.check(quote == nil || quote?.opportunityId == deal.id, "proposal.quote_id", .inconsistent, "is a quote of another opportunity")
            validation.check(quote?.supersededByQuoteId.isEmpty != false, "proposal.quote_id", .notAllowed, "is a superseded revision")
        }
        try validation.throwIfInvalid()
    }

    /// The quote a proposal carries to the customer must have passed approval: approved,
    /// presented or accepted, not expired, the latest revision (FAILED_PRECONDITION
    /// `QUOTE_NOT_APPROVED` otherwise), so that no unapproved discount leaves inside a
    /// proposal.
    static func requireQuoteReady(_ db: Database, _ proposal: Proposal) throws {
        guard !proposal.quoteId.isEmpty else { return }
        guard let quote = try RecordRows.find(db, Quote.self, id: proposal.quoteId) else {
            throw StorageError.notFound(kind: Quote.table, id: proposal.quoteId)
        }
        let seen = quote.asSeen(today: try QuoteRecords.today(db))
        guard [.approved, .presented, .accepted].contains(seen.status), seen.supersededByQuoteId.isEmpty else {
            throw StorageError.failedPrecondition(
                reason: "QUOTE_NOT_APPROVED",
                message: "the proposal's quote is \(seen.status)\(seen.supersededByQuoteId.isEmpty ? "" : ", superseded"); submit it with an approved, current quote"
            )
        }
    }
}
