import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How consultations (商談) are stored and checked. A consultation counts as the
/// linked deal's activity at its start time, and no longer changes once a submitted
/// daily report covers it (`recordChanged`, as for activities).
extension Consultation: CustomerLinkedRecord, ArchivableRecord {
    static var table: String { "consultation" }
    static var recordKind: RecordKind { .consultation }
    static var idPrefix: String { "cons" }
    static var fieldPath: String { "consultation" }

    static let updatable: Set<String> = [
        "title", "start_time_ms", "duration_ms", "channel", "location", "account_id", "contact_ids", "attendee_user_ids",
        "opportunity_id", "lead_id", "customer_needs", "proposed", "summary", "next_steps", "next_contact_date", "result",
        "customer_interest", "custom_fields", "owner_user_id",
    ]

    /// Order names of ListConsultations and their columns.
    static let orders = ["start_time_ms": "start_time_ms"]

    /// Our people who attended read the consultation.
    static var readersColumn: String? { "attendee_user_ids" }

    var columns: [String: (any DatabaseValueConvertible)?] {
        linkColumns.merging([
            "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId, "archived": archived,
            "channel": channel.rawValue, "result": result.rawValue, "interest": customerInterest.rawValue,
            "start_time_ms": startTimeMs, "consultation_date": consultationDate, "next_contact_date": nextContactDate,
            "search": RecordText.search(title, customerNeeds, proposed, summary, nextSteps), "update_time_ms": updateTimeMs,
        ]) { $1 }
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.text(title, prefix + "title")
        validation.check(startTimeMs > 0, prefix + "start_time_ms", .required, "is required")
        validation.check((0...Activity.maximumLengthMs).contains(durationMs), prefix + "duration_ms", .outOfRange, "is not 0 to 7 days")
        validation.known(channel, prefix + "channel")
        validation.known(result, prefix + "result", required: false)
        validation.known(customerInterest, prefix + "customer_interest", required: false)
        validation.text(location, prefix + "location", required: false, maximumLength: 500)
        for (text, name) in [(customerNeeds, "customer_needs"), (proposed, "proposed"), (summary, "summary"), (nextSteps, "next_steps")] {
            validation.text(text, prefix + name, required: false, maximumLength: 10_000)
        }
        validation.date(nextContactDate, prefix + "next_contact_date", required: false)
        validation.customFields(customFields, prefix + "custom_fields")
        validateLinks(prefix: prefix, into: &validation)
    }

    static func recordChanged(_ db: Database, from before: Consultation?, to after: inout Consultation, by userID: String) throws {
        if let before { try DailyReportRecords.requireUncovered(db, recordID: before.id, what: "consultation") }
        try OpportunityActivityTimes.refresh(db, opportunityIDs: [before?.opportunityId ?? "", after.opportunityId])
        try LeadFirstTouch.refresh(db, leadIDs: [before?.leadId ?? "", after.leadId])
    }
}

enum ConsultationRecords {
    /// Completes a consultation in its write transaction: checks its links (when new
    /// or changed) and derives its date in the tenant's time zone.
    static func settle(_ db: Database, _ consultation: inout Consultation, before: Consultation?) throws {
        try CustomerLinks.settle(db, &consultation, before: before)
        consultation.consultationDate = TenantCalendar(timeZone: try SettingsRecords.load(db).timeZone).date(ofMs: consultation.startTimeMs)
    }

    /// The owner's live consultations held on `date`, in time order: a daily report's content.
    static func ofDay(_ db: Database, ownerUserID: String, date: String) throws -> [Consultation] {
        let statement = try db.cachedStatement(
            sql: "SELECT data FROM consultation WHERE owner_user_id = ? AND consultation_date = ? AND archived = 0 ORDER BY start_time_ms, id"
        )
        return try Data.fetchAll(statement, arguments: [ownerUserID, date]).map { try Consultation(serializedBytes: Array($0)) }
    }

    /// Applies a consultation's deal update to the deal, inside the transaction, as
    /// UpdateOpportunity and MoveOpportunityStage would: the commit writes the history
    /// entry (`Opportunity.recordChanged`).
    static func updateDeal(_ db: Database, _ trail: inout AuditTrail, _ update: ConsultationDealUpdate, dealID: String, access: RecordAccess) throws -> Opportunity {
        let before = try RecordRows.fetch(db, Opportunity.self, id: dealID, access: access)
        try before.requireWritable()
        try OpportunityRecords.requireOpen(before)
        return try TenantStore.commit(db, &trail, before: before, version: update.version, action: .update, access: access) { after in
            if let amount = update.amount { after.amount = amount }
            if !update.expectedCloseDate.isEmpty { after.expectedCloseDate = update.expectedCloseDate }
            if let probability = update.probabilityOverridePercent { after.probabilityOverridePercent = probability }
            try OpportunityRecords.checkAmountChange(db, before: before, after: after)
            try OpportunityRecords.rederive(db, before: before, after: &after)
            if !update.stageId.isEmpty {
                try OpportunityService.move(db, before: before, after: &after, stageID: update.stageId, pipelineID: "", field: "deal_update.stage_id")
            }
        }
    }
}
