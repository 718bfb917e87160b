import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.QuoteService`: priced quotes for opportunities. Totals are the server's
/// (`QuoteMath`); drafts change, submitted quotes move only through the workflow
/// (`QuoteService+Workflow`). Reads show a presented quote past its date as EXPIRED.
public struct QuoteService: QuoteServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    /// Creates a draft for an opportunity the caller may read: number, currency,
    /// validity and amounts from the server.
    public func createQuote(_ request: CreateQuoteRequest, context: ServerContext) async throws -> Quote {
        let access = try await store.access(context)
        return try await store.create(try Quote.proposed(request.quote), access: access, context: context, request: request) { db, quote in
            try QuoteRecords.prepare(db, &quote, access: access)
        }
    }

    public func getQuote(_ request: GetQuoteRequest, context: ServerContext) async throws -> Quote {
        let access = try await store.access(context)
        return try await store.read(access) { db in
            try RecordRows.fetch(db, Quote.self, id: request.id, access: access).asSeen(today: try QuoteRecords.today(db))
        }
    }

    /// Edits a draft; "lines" replaces the list. The amounts are recomputed, and a
    /// primary quote's net total becomes its deal's amount in the same transaction.
    public func updateQuote(_ request: UpdateQuoteRequest, context: ServerContext) async throws -> Quote {
        let access = try await store.access(context)
        let changes = request.quote ?? Quote()
        let mask = try UpdateMask<Quote>(request.updateMask, updatable: Quote.updatable, prefix: "quote")
        var validation = Validation()
        validation.bounded(changes.lines.count, "quote.lines", maximum: Quote.maximumLines)
        try validation.throwIfInvalid()
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try RecordRows.fetch(db, Quote.self, id: changes.id, access: access)
            try before.requireWritable()
            let after = try TenantStore.commit(db, &trail, before: before, version: changes.version, action: .update, access: access) { after in
                guard before.status == .draft else {
                    throw StorageError.failedPrecondition(reason: "QUOTE_NOT_DRAFT", message: "only a draft quote is edited; revise it to change it")
                }
                try mask.apply(changes, to: &after)
                try QuoteRecords.assignLineIDs(&after)
                try QuoteRecords.checkContact(db, after)
                try QuoteRecords.price(&after, settings: try SettingsRecords.load(db))
            }
            if after.isPrimary, after.netTotal != before.netTotal {
                try QuoteRecords.syncOpportunity(db, &trail, primary: after, access: access)
            }
            return after
        }
    }

    public func listQuotes(_ request: ListQuotesRequest, context: ServerContext) async throws -> ListQuotesResponse {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        validation.references([
            "opportunity_id": request.opportunityId, "account_id": request.accountId, "owner_user_id": request.ownerUserId, "team_id": request.teamId,
        ])
        validation.bounded(request.statuses.count, "statuses")
        for status in request.statuses { validation.known(status, "statuses") }
        validation.dateRange(request.validUntilDateRange, "valid_until_date_range")
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy, orders: Quote.orders)
        let today = try await store.read(access) { db in try QuoteRecords.today(db) }
        var query = RecordQuery<Quote>()
        query.search(request.query)
        query.equals("opportunity_id", request.opportunityId)
        query.equals("account_id", request.accountId)
        query.equals("owner_user_id", request.ownerUserId)
        query.equals("team_id", request.teamId)
        QuoteRecords.filter(&query, statuses: request.statuses, today: today)
        if request.latestRevisionsOnly { query.filter("superseded = 0") }
        if request.primaryOnly { query.filter("is_primary = 1") }
        query.within("valid_until_date", dates: request.validUntilDateRange)
        let (quotes, next) = try await store.list(Quote.self, query, page: page, access: access)
        return ListQuotesResponse(quotes: quotes.map { $0.asSeen(today: today) }, nextPageToken: next)
    }
}
