import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How quotes are stored and checked. The amounts are always the server's
/// (`QuoteRecords.price`); a superseded revision is read-only.
extension Quote: OwnedRecord {
    static var table: String { "quote" }
    static var recordKind: RecordKind { .quote }
    static var idPrefix: String { "quot" }
    static var fieldPath: String { "quote" }

    /// What UpdateQuote changes on a draft.
    static let updatable: Set<String> = [
        "name", "contact_id", "lines", "valid_until_date", "terms", "issue_date", "billing_address", "shipping_address", "document",
    ]

    static var creatable: Set<String> { updatable.union(["opportunity_id", "currency_code", "owner_user_id"]) }

    static let orders = ["valid_until_date": "valid_until_date"]

    static let maximumLines = 500

    var recordTeam: String? {
        get { teamId }
        set { teamId = newValue ?? "" }
    }

    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "opportunity_id": opportunityId, "account_id": accountId, "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId,
            "team_id": teamId, "status": status.rawValue, "quote_number": quoteNumber, "is_primary": isPrimary,
            "superseded": !supersededByQuoteId.isEmpty, "valid_until_date": validUntilDate, "update_time_ms": updateTimeMs,
            "search": RecordText.search(name, quoteNumber, lines.map(\.productCode).joined(separator: " ")),
            "create_time_ms": createTimeMs, "amount_currency": currencyCode, "subtotal_minor": subtotal?.amountMinor ?? 0,
            "discount_minor": discountTotal?.amountMinor ?? 0, "effective_discount_bps": effectiveDiscountBps,
            "requires_approval": requiresApproval, "submit_time_ms": submitTimeMs, "approval_decision_time_ms": approvalDecisionTimeMs,
            "present_time_ms": presentTimeMs,
        ]
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.text(name, prefix + "name")
        validation.reference(opportunityId, prefix + "opportunity_id")
        validation.check(!opportunityId.isEmpty, prefix + "opportunity_id", .required, "is required")
        validation.reference(contactId, prefix + "contact_id")
        validation.check(ISO4217.exponent(of: currencyCode) != nil, prefix + "currency_code", .unknownValue, "\(currencyCode) is not an ISO 4217 currency")
        validation.date(validUntilDate, prefix + "valid_until_date", required: true)
        validation.date(issueDate, prefix + "issue_date", required: false)
        validation.text(terms, prefix + "terms", required: false, maximumLength: 5000)
        validation.known(taxCalculation, prefix + "tax_calculation", required: false)
        validation.known(taxRounding, prefix + "tax_rounding", required: false)
        validation.known(priceBasis, prefix + "price_basis", required: false)
        validation.address(billingAddress, prefix + "billing_address")
        validation.address(shippingAddress, prefix + "shipping_address")
        validation.document(document, prefix + "document")
        validation.check(lines.count <= Self.maximumLines, prefix + "lines", .tooMany, "a quote has at most \(Self.maximumLines) lines")
        for (index, line) in lines.enumerated() {
            line.validate(prefix: "\(prefix)lines[\(index)].", currency: currencyCode, into: &validation)
        }
    }

    func requireWritable() throws {
        guard supersededByQuoteId.isEmpty else {
            throw StorageError.failedPrecondition(reason: "SUPERSEDED", message: "revision \(revision) was superseded by \(supersededByQuoteId); it is read-only")
        }
    }

    /// The quote as callers see it on `today` (tenant time zone): a presented quote
    /// past its valid-until date is EXPIRED. Expiry is never stored.
    func asSeen(today: String) -> Quote {
        guard status == .presented, validUntilDate < today else { return self }
        var seen = self
        seen.status = .expired
        return seen
    }
}

extension QuoteLine {
    /// At most 10^15 units (in thousandths): with any Int64 price a line's product
    /// stays inside 128 bits; `QuoteMath` reports every value (and each line's
    /// amount at list price) outside Int64 before it is summed.
    static let maximumQuantityMilli: Int64 = 1_000_000_000_000_000_000

    func validate(prefix: String, currency: String, into validation: inout Validation) {
        let kind = kind == .unspecified ? QuoteLineKind.item : kind
        validation.known(kind, prefix + "kind", required: false)
        validation.text(productCode, prefix + "product_code", required: false, maximumLength: 64)
        validation.text(description, prefix + "description", required: kind == .text, maximumLength: 2000)
        validation.text(unit, prefix + "unit", required: false, maximumLength: 20)
        if kind == .text {
            validation.check(quantityMilli == 0 && unitPrice == nil && listPrice == nil, prefix + "quantity_milli", .notAllowed, "a text line has no quantity or price")
        } else {
            validation.check(quantityMilli > 0 && quantityMilli <= Self.maximumQuantityMilli, prefix + "quantity_milli", .outOfRange, "is not above 0 and at most 10^15 units")
            if let unitPrice {
                validation.money(unitPrice, prefix + "unit_price")
                validation.check(unitPrice.currencyCode == currency, prefix + "unit_price.currency_code", .inconsistent, "is not the quote's currency \(currency)")
            } else {
                validation.check(false, prefix + "unit_price", .required, "is required")
            }
        }
        if let listPrice {
            validation.check(kind == .item, prefix + "list_price", .notAllowed, "only item lines have a list price")
            validation.money(listPrice, prefix + "list_price")
            validation.check(listPrice.currencyCode == currency, prefix + "list_price.currency_code", .inconsistent, "is not the quote's currency \(currency)")
        }
        validation.check((0...10_000).contains(discountBps), prefix + "discount_bps", .outOfRange, "is not 0 to 10000")
        // Discounts are measured against list price for approval on item lines; a
        // discount elsewhere would escape that measure, so there is none.
        validation.check(discountBps == 0 || kind == .item, prefix + "discount_bps", .notAllowed, "only item lines are discounted; use a discount line")
        validation.check((0...10_000).contains(taxRateBps), prefix + "tax_rate_bps", .outOfRange, "is not 0 to 10000")
        validation.check(taxCode.isEmpty || SettingsService.isKey(taxCode), prefix + "tax_code", .invalidFormat, "is not a tax code key")
    }
}

extension Validation {
    /// A document stored elsewhere: an https, s3 or gs URI, its SHA-256, a plain file
    /// name and a size.
    mutating func document(_ document: DocumentReference?, _ field: String) {
        guard let document else { return }
        let scheme = document.uri.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        check(
            ["https", "s3", "gs"].contains(scheme) && document.uri.hasPrefix(scheme + "://") && document.uri.count > scheme.count + 3,
            field + ".uri", .invalidFormat, "use an https://, s3:// or gs:// address"
        )
        text(document.uri, field + ".uri", maximumLength: 2048)
        check(document.sha256.count == 64 && document.sha256.allSatisfy { $0.isHexDigit && !$0.isUppercase }, field + ".sha256", .invalidFormat, "is not 64 lower-case hex digits")
        text(document.fileName, field + ".file_name", maximumLength: 255)
        check(!document.fileName.contains("/") && !document.fileName.contains("\\") && document.fileName != "." && document.fileName != "..", field + ".file_name", .invalidFormat, "is a path, not a file name")
        check((1...(1 << 30)).contains(document.sizeBytes), field + ".size_bytes", .outOfRange, "is not 1 byte to 1 GiB")
    }
}

/// Quote rules that read other records and the tenant's settings.
enum QuoteRecords {
    /// Today in the tenant's time zone: what expiry is measured against.
    static func today(_ db: Database) throws -> String {
        OpportunityRecords.today(in: try SettingsRecords.load(db).timeZone)
    }

    /// The status filter as callers read statuses: PRESENTED means presented and
    /// still valid on `today`, EXPIRED presented and past its date.
    static func filter(_ query: inout RecordQuery<Quote>, statuses: [QuoteStatus], today: String) {
        guard !statuses.isEmpty else { return }
        var conditions: [String] = []
        var arguments = StatementArguments()
        for status in Set(statuses).sorted(by: { $0.rawValue < $1.rawValue }) {
            switch status {
            case .presented:
                conditions.append("(status = ? AND valid_until_date >= ?)")
                arguments += [QuoteStatus.presented.rawValue, today]
            case .expired:
                conditions.append("(status = ? AND valid_until_date < ?)")
                arguments += [QuoteStatus.presented.rawValue, today]
            default:
                conditions.append("status = ?")
                arguments += [status.rawValue]
            }
        }
        query.filter("(" + conditions.joined(separator: " OR ") + ")", arguments)
    }

    /// Prices the quote: resolves each line's rate (tax code or rate), fills the
    /// computed amounts with the quote's tax rules over the tenant's defaults.
    /// - Throws: INVALID_ARGUMENT for an unknown or retired tax code, or an amount
    ///   outside Int64.
    static func price(_ quote: inout Quote, settings: TenantSettings) throws {
        // Validated first: the arithmetic below relies on bounded quantities and rates.
        var validation = Validation()
        quote.validate(prefix: "quote.", into: &validation)
        try validation.throwIfInvalid()
        var rates: [Int32] = []
        for (index, line) in quote.lines.enumerated() {
            guard !line.taxCode.isEmpty else {
                // A tenant with tax codes prices with them only: a rate typed on a line
                // could otherwise move the net of a tax-inclusive quote.
                validation.check(settings.taxCodes.isEmpty || line.kind == .text, "quote.lines[\(index)].tax_code", .required, "this tenant's lines name a tax code")
                rates.append(line.taxRateBps)
                continue
            }
            let code = settings.taxCodes.first { $0.key == line.taxCode }
            validation.check(code != nil, "quote.lines[\(index)].tax_code", .notFound, "\(line.taxCode) is not a tax code of this tenant")
            validation.check(code?.retired != true, "quote.lines[\(index)].tax_code", .retired, "\(line.taxCode) is retired")
            rates.append(code?.rateBps ?? 0)
        }
        try validation.throwIfInvalid()
        do {
            try QuoteMath.compute(&quote, rates: rates, rules: rules(of: quote))
        } catch {
            throw RPCError.invalidArgument("an amount is too large", violations: [FieldViolation(error.field, .outOfRange, "makes an amount outside the 64-bit range")])
        }
        quote.requiresApproval = QuoteMath.exceeds(quote, thresholdBps: settings.quoteDiscountApprovalThresholdBps)
    }

    /// The quote's tax rules: snapshotted from the tenant's settings when the quote
    /// was made (a rep cannot switch a quote to tax-inclusive prices to hide a
    /// discount), the defaults where the tenant sets none.
    static func rules(of quote: Quote) -> QuoteMath.TaxRules {
        var rules = QuoteMath.TaxRules()
        if quote.taxCalculation != .unspecified { rules.calculation = quote.taxCalculation }
        if quote.taxRounding != .unspecified { rules.rounding = quote.taxRounding }
        if quote.priceBasis != .unspecified { rules.basis = quote.priceBasis }
        return rules
    }

    /// Stamps the tenant's tax rules on a new quote (its defaults where unset).
    static func snapshotRules(_ quote: inout Quote, settings: TenantSettings) {
        let defaults = QuoteMath.TaxRules()
        quote.taxCalculation = settings.taxCalculation == .unspecified ? defaults.calculation : settings.taxCalculation
        quote.taxRounding = settings.taxRounding == .unspecified ? defaults.rounding : settings.taxRounding
        quote.priceBasis = settings.priceBasis == .unspecified ? defaults.basis : settings.priceBasis
    }

    /// Completes a new quote in its transaction: the opportunity (within the caller's
    /// scope) gives account and currency, the tenant's sequence a number, settings a
    /// default validity; then it is priced.
    static func prepare(_ db: Database, _ quote: inout Quote, access: RecordAccess) throws {
        guard let opportunity = try RecordRows.find(db, Opportunity.self, id: quote.opportunityId, access: access) else {
            throw RPCError.invalidArgument("unknown opportunity", violations: [FieldViolation("quote.opportunity_id", .notFound, "no opportunity \(quote.opportunityId)")])
        }
        try opportunity.requireWritable()
        let settings = try SettingsRecords.load(db)
        quote.accountId = opportunity.accountId
        // The quote's net total becomes the deal's amount: it is in the deal's currency.
        let currency = opportunity.amount?.currencyCode ?? settings.defaultCurrencyCode
        guard quote.currencyCode.isEmpty || quote.currencyCode == currency else {
            throw RPCError.invalidArgument("a quote is in its deal's currency", violations: [FieldViolation("quote.currency_code", .inconsistent, "the deal is in \(currency)")])
        }
        quote.currencyCode = currency
        snapshotRules(&quote, settings: settings)
        quote.quoteNumber = try nextNumber(db, prefix: settings.quoteNumberPrefix.isEmpty ? "Q-" : settings.quoteNumberPrefix)
        quote.revision = 1
        quote.status = .draft
        if quote.validUntilDate.isEmpty {
            let calendar = TenantCalendar(timeZone: settings.timeZone)
            quote.validUntilDate = calendar.date(calendar.today, plus: settings.quoteValidityDays == 0 ? 30 : Int(settings.quoteValidityDays)) ?? calendar.today
        }
        try checkContact(db, quote)
        try assignLineIDs(&quote)
        try price(&quote, settings: settings)
    }

    /// Gives new lines an id (lines are replaced whole on update; ids tell them apart).
    static func assignLineIDs(_ quote: inout Quote) throws {
        for index in quote.lines.indices where quote.lines[index].id.isEmpty {
            quote.lines[index].id = RecordID.make("qli")
        }
    }

    /// The recipient must be a live contact of the quote's account.
    static func checkContact(_ db: Database, _ quote: Quote) throws {
        guard !quote.contactId.isEmpty else { return }
        guard let contact = try RecordRows.find(db, Contact.self, id: quote.contactId), !contact.archived else {
            throw RPCError.invalidArgument("unknown contact", violations: [FieldViolation("quote.contact_id", .notFound, "no live contact \(quote.contactId)")])
        }
        guard contact.accountId == quote.accountId else {
            throw RPCError.invalidArgument("the contact is of another account", violations: [FieldViolation("quote.contact_id", .inconsistent, "is not a contact of account \(quote.accountId)")])
        }
    }

    /// The next quote number of the tenant: prefix and a six-digit sequence, taken in
    /// the creating transaction (a rolled-back create gives its number back).
    static func nextNumber(_ db: Database, prefix: String) throws -> String {
        try db.execute(sql: "INSERT INTO sequence (name, next) VALUES ('quote', 1) ON CONFLICT(name) DO UPDATE SET next = next + 1")
        let number = try Int64.fetchOne(db, sql: "SELECT next FROM sequence WHERE name = 'quote'") ?? 1
        let digits = String(number)
        return prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// Sets the opportunity's amount to the primary quote's net total (and its
    /// `primary_quote_id`), in the quote's transaction, with its history entry.
    /// A closed deal keeps its amount (`OPPORTUNITY_CLOSED`).
    @discardableResult
    static func syncOpportunity(_ db: Database, _ trail: inout AuditTrail, primary quote: Quote, access: RecordAccess) throws -> Opportunity {
        let opportunity = try fetchOpportunity(db, quote)
        try OpportunityRecords.requireOpen(opportunity)
        return try TenantStore.commit(db, &trail, before: opportunity, version: opportunity.version, action: .update, access: access) { after in
            after.amount = quote.netTotal
            after.primaryQuoteId = quote.id
            try OpportunityRecords.rederive(db, before: opportunity, after: &after)
        }
    }

    /// Makes `quote` its open deal's only primary quote (the old one is cleared first:
    /// a unique index allows one) and syncs the deal's amount to its net total.
    static func makePrimary(_ db: Database, _ trail: inout AuditTrail, _ quote: Quote, access: RecordAccess) throws -> (Quote, Opportunity) {
        let deal = try fetchOpportunity(db, quote)
        try OpportunityRecords.requireOpen(deal)
        if !deal.primaryQuoteId.isEmpty, deal.primaryQuoteId != quote.id, let current = try RecordRows.find(db, Quote.self, id: deal.primaryQuoteId) {
            _ = try TenantStore.commit(db, &trail, before: current, version: current.version, action: .update, access: access) { $0.isPrimary = false }
        }
        let primary = try TenantStore.commit(db, &trail, before: quote, version: quote.version, action: .update, access: access) { $0.isPrimary = true }
        return (primary, try syncOpportunity(db, &trail, primary: primary, access: access))
    }

    /// The quote's opportunity, whatever the caller's scope (the quote's scope decided).
    static func fetchOpportunity(_ db: Database, _ quote: Quote) throws -> Opportunity {
        guard let opportunity = try RecordRows.find(db, Opportunity.self, id: quote.opportunityId) else {
            throw StorageError.notFound(kind: Opportunity.table, id: quote.opportunityId)
        }
        return opportunity
    }
}
