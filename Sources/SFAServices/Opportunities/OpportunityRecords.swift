import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How opportunities are stored and checked. The stage decides state, effective
/// probability and category (`Opportunity.derive`); every change of a tracked field
/// leaves a history entry in the same transaction (`recordChanged`).
extension Opportunity: OwnedRecord, ArchivableRecord {
    static var table: String { "opportunity" }
    static var recordKind: RecordKind { .opportunity }
    static var idPrefix: String { "opp" }
    static var fieldPath: String { "opportunity" }

    /// What UpdateOpportunity changes. Stage, pipeline, owner and state have their
    /// own methods; the rest is server-set.
    static let updatable: Set<String> = [
        "name", "amount", "expected_close_date", "probability_override_percent", "forecast_category_override",
        "next_step", "description", "custom_fields", "contact_roles",
    ]

    static var creatable: Set<String> { updatable.union(["account_id", "pipeline_id", "stage_id", "owner_user_id"]) }

    /// Order names of ListOpportunities and their columns.
    static let orders = ["expected_close_date": "expected_close_date", "amount": "amount_sort"]

    /// Derived from activities and consultations (`OpportunityActivityTimes`), and
    /// from the deal's own changes (`recordChanged`: close-date pushes).
    static var derivedColumns: [String] { ["last_activity_time_ms", "next_activity_time_ms", "close_date_push_count"] }

    /// A partner reads the deals that came from its leads.
    static var partnerScopeColumn: String { "partner_source_id" }

    /// At most 10^14 major units (any currency): amounts stay exact when scaled for
    /// sorting, and no deal is that large.
    static let maximumMajorAmount: Int64 = 100_000_000_000_000

    var recordTeam: String? {
        get { teamId }
        set { teamId = newValue ?? "" }
    }

    /// What filters, orders, scope and analytics query.
    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "account_id": accountId, "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId,
            "source_lead_id": sourceLeadId, "update_time_ms": updateTimeMs, "create_time_ms": createTimeMs,
            "pipeline_id": pipelineId, "stage_id": stageId, "state": state.rawValue, "forecast_category": forecastCategory.rawValue,
            "team_id": teamId, "archived": archived, "partner_source_id": partnerSourceId,
            "expected_close_date": expectedCloseDate, "close_date": effectiveCloseDate,
            "amount_currency": amount?.currencyCode ?? "", "amount_minor": amount?.amountMinor ?? 0, "amount_sort": amountSortKey,
            "contact_ids": SQLJSON.array(contactRoles.map(\.contactId)), "search": RecordText.search(name),
            "weighted_minor": weightedAmount?.amountMinor ?? 0, "stage_enter_time_ms": stageEnterTimeMs,
            "closed_time_ms": closedTimeMs, "source": source.rawValue, "lost_reason": lostReason,
        ]
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.text(name, prefix + "name")
        validation.reference(accountId, prefix + "account_id")
        validation.check(!accountId.isEmpty, prefix + "account_id", .required, "is required")
        if let amount {
            validation.money(amount, prefix + "amount")
            if let exponent = ISO4217.exponent(of: amount.currencyCode) {
                let limit = Self.maximumMajorAmount.multipliedReportingOverflow(by: Int64(pow(10, Double(exponent)))).partialValue
                validation.check(amount.amountMinor <= limit, prefix + "amount.amount_minor", .outOfRange, "is above 10^14 \(amount.currencyCode)")
            } else {
                validation.check(false, prefix + "amount.currency_code", .unknownValue, "\(amount.currencyCode) is not an ISO 4217 currency")
            }
        } else {
            validation.check(false, prefix + "amount", .required, "is required")
        }
        validation.date(expectedCloseDate, prefix + "expected_close_date", required: true)
        if let override = probabilityOverridePercent {
            validation.check((0...100).contains(override), prefix + "probability_override_percent", .outOfRange, "is not 0 to 100")
        }
        validation.known(forecastCategoryOverride, prefix + "forecast_category_override", required: false)
        validation.check(forecastCategoryOverride != .closed, prefix + "forecast_category_override", .notAllowed, "only a won deal is CLOSED")
        validation.text(nextStep, prefix + "next_step", required: false, maximumLength: 500)
        validation.text(description, prefix + "description", required: false, maximumLength: 10_000)
        validation.text(closeNote, prefix + "close_note", required: false, maximumLength: 2000)
        validation.customFields(customFields, prefix + "custom_fields")
        validation.check(contactRoles.count <= 50, prefix + "contact_roles", .tooMany, "has more than 50 entries")
        var contacts: Set<String> = []
        for (index, role) in contactRoles.enumerated() {
            let field = "\(prefix)contact_roles[\(index)]"
            validation.reference(role.contactId, field + ".contact_id")
            validation.check(!role.contactId.isEmpty, field + ".contact_id", .required, "is required")
            validation.check(contacts.insert(role.contactId).inserted, field + ".contact_id", .duplicate, "the contact appears twice")
            validation.known(role.role, field + ".role", required: false)
        }
        validation.check(contactRoles.filter(\.isPrimary).count <= 1, prefix + "contact_roles", .inconsistent, "at most one contact is primary")
    }

    /// Every change of stage, pipeline, amount, close date, probability, category,
    /// owner or state is a history entry, written in the change's transaction.
    /// A move of the expected close date to a later date is a push, counted in the
    /// deal's `close_date_push_count` (stalled deals).
    static func recordChanged(_ db: Database, from before: Opportunity?, to after: inout Opportunity, by userID: String) throws {
        guard OpportunityHistory.changed(from: before, to: after) else { return }
        if let before, !before.expectedCloseDate.isEmpty, after.expectedCloseDate > before.expectedCloseDate {
            // On the returned record too: the reply, audit and feed show the stored count.
            after.closeDatePushCount += 1
            try db.cachedStatement(sql: "UPDATE opportunity SET close_date_push_count = close_date_push_count + 1 WHERE id = ?")
                .execute(arguments: [after.id])
        }
        let names = try PipelineRecords.stageNames(db)
        try OpportunityHistory.insert(db, OpportunityHistory.entry(
            from: before, to: after, stageName: { names[$0] ?? "" }, by: userID, at: after.updateTimeMs, id: RecordID.make("ohist")
        ))
    }
}

/// Opportunity rules that read other records: links, the stage, the source lead.
enum OpportunityRecords {
    /// Completes a new opportunity in its transaction: checks its account and
    /// contacts, places it in its pipeline and stage (the default pipeline and its
    /// first open stage when not given), derives its values, and copies the source
    /// of the lead it came from (given, or its primary contact's).
    static func place(_ db: Database, _ opportunity: inout Opportunity) throws {
        try AccountRecords.requireLinkable(db, id: opportunity.accountId, field: "opportunity.account_id")
        try linkContacts(db, &opportunity)
        let pipeline = opportunity.pipelineId.isEmpty
            ? try PipelineRecords.defaultPipeline(db) : try PipelineRecords.usable(db, id: opportunity.pipelineId, field: "opportunity.pipeline_id")
        let stage: PipelineStage
        if opportunity.stageId.isEmpty {
            guard let first = pipeline.firstOpenStage else {
                throw StorageError.failedPrecondition(reason: "NO_OPEN_STAGE", message: "pipeline \(pipeline.id) has no open stage")
            }
            stage = first
        } else {
            stage = try PipelineRecords.usableStage(opportunity.stageId, of: pipeline, field: "opportunity.stage_id")
            guard !stage.isClosed else {
                throw RPCError.invalidArgument(
                    "a new deal is open",
                    violations: [FieldViolation("opportunity.stage_id", .notAllowed, "\(stage.name) is closed; create the deal open and close it with CloseOpportunity")]
                )
            }
        }
        opportunity.derive(in: pipeline.id, stage: stage)
        opportunity.stageEnterTimeMs = opportunity.createTimeMs
        try copySource(db, &opportunity)
    }

    /// Re-derives after a change of the deal's own fields. Only what the change
    /// touches is re-derived: a new override reads the stage (its current defaults), a
    /// new amount only re-weighs; a deal edited for its next step keeps the values it
    /// has, even if an admin has since changed its stage's defaults.
    static func rederive(_ db: Database, before: Opportunity, after: inout Opportunity) throws {
        if after.contactRoles != before.contactRoles { try linkContacts(db, &after) }
        if after.probabilityOverridePercent != before.probabilityOverridePercent || after.forecastCategoryOverride != before.forecastCategoryOverride {
            let pipeline = try RecordRows.find(db, Pipeline.self, id: after.pipelineId)
            if let stage = pipeline?.stages.first(where: { $0.id == after.stageId }) {
                after.derive(in: after.pipelineId, stage: stage)
            }
        } else if after.amount != before.amount {
            after.weightedAmount = after.amount.map { Money(currencyCode: $0.currencyCode, amountMinor: Opportunity.weighted($0.amountMinor, percent: after.probabilityPercent)) }
        }
    }

    /// Refuses a change of the deal's amount that its quotes decide: any amount while
    /// a primary quote sets it (`AMOUNT_SYNCED`), another currency while quotes in the
    /// current one exist (`CURRENCY_IN_USE`). Every path that edits a deal's own fields
    /// (UpdateOpportunity, a consultation's deal update) applies it.
    static func checkAmountChange(_ db: Database, before: Opportunity, after: Opportunity) throws {
        guard after.amount != before.amount else { return }
        guard before.primaryQuoteId.isEmpty else {
            throw StorageError.failedPrecondition(
                reason: "AMOUNT_SYNCED",
                message: "the amount follows primary quote \(before.primaryQuoteId); clear it as primary to edit the amount"
            )
        }
        if after.amount?.currencyCode != before.amount?.currencyCode,
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM quote WHERE opportunity_id = ?)"), arguments: [before.id]) == true
        {
            throw StorageError.failedPrecondition(reason: "CURRENCY_IN_USE", message: "the deal has quotes in \(before.amount?.currencyCode ?? ""); its currency stays")
        }
    }

    /// The fields a closed deal keeps as it was closed: what the figures count.
    static let frozenWhenClosed: Set<String> = ["amount", "expected_close_date", "probability_override_percent", "forecast_category_override"]

    /// The number of live open deals in a stage.
    static func openDeals(_ db: Database, inStage stageID: String) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(sql: "SELECT count(*) FROM opportunity WHERE stage_id = ? AND state = ? AND archived = 0"),
            arguments: [stageID, OpportunityState.open.rawValue]
        ) ?? 0
    }

    /// Checks that the contact roles name live contacts of the deal's account, and
    /// sets the primary contact.
    static func linkContacts(_ db: Database, _ opportunity: inout Opportunity) throws {
        // Too many roles are refused by validation; no lookups for them meanwhile.
        guard opportunity.contactRoles.count <= 50 else { return }
        var validation = Validation()
        for (index, role) in opportunity.contactRoles.enumerated() {
            let field = "opportunity.contact_roles[\(index)].contact_id"
            guard let contact = try RecordRows.find(db, Contact.self, id: role.contactId) else {
                validation.check(false, field, .notFound, "no contact \(role.contactId)")
                continue
            }
            validation.check(!contact.archived, field, .archived, "contact \(role.contactId) is archived")
            validation.check(contact.accountId == opportunity.accountId, field, .inconsistent, "contact \(role.contactId) is not of account \(opportunity.accountId)")
        }
        try validation.throwIfInvalid()
        opportunity.primaryContactId = opportunity.contactRoles.first(where: \.isPrimary)?.contactId ?? ""
    }

    /// Copies source, source detail and partner from the lead the deal came from:
    /// `source_lead_id` when conversion set it, else the primary contact's source lead.
    private static func copySource(_ db: Database, _ opportunity: inout Opportunity) throws {
        if opportunity.sourceLeadId.isEmpty, !opportunity.primaryContactId.isEmpty,
            let contact = try RecordRows.find(db, Contact.self, id: opportunity.primaryContactId)
        {
            opportunity.sourceLeadId = contact.sourceLeadId
        }
        guard !opportunity.sourceLeadId.isEmpty, let lead = try RecordRows.find(db, Lead.self, id: opportunity.sourceLeadId) else { return }
        opportunity.source = lead.source
        opportunity.sourceDetail = lead.sourceDetail
        opportunity.partnerSourceId = lead.partnerSourceId
    }

    /// Moves the open deals of a removed stage to `stage` of the same pipeline, each
    /// with its history entry (a pipeline update's remap).
    static func moveOpenDeals(_ db: Database, _ trail: inout AuditTrail, from stageID: String, to stage: PipelineStage, in pipelineID: String, access: RecordAccess) throws {
        let statement = try db.cachedStatement(sql: "SELECT data FROM opportunity WHERE stage_id = ? AND state = ? AND archived = 0")
        let deals = try Data.fetchAll(statement, arguments: [stageID, OpportunityState.open.rawValue]).map { try Opportunity(serializedBytes: Array($0)) }
        let now = nowMs()
        for deal in deals {
            _ = try TenantStore.commit(db, &trail, before: deal, version: deal.version, action: .stateChange, access: access) { after in
                after.derive(in: pipelineID, stage: stage)
                after.stageEnterTimeMs = now
            }
        }
    }

    /// Today in the tenant's time zone, YYYY-MM-DD.
    static func today(in timeZone: String) -> String {
        TenantCalendar(timeZone: timeZone).today
    }
}
