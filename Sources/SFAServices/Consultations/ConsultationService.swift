import Foundation
import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.ConsultationService`: records of sales meetings (商談 / 상담), with the
/// next step planned and the linked deal moved in the same transaction. Reps record
/// their own, managers their team's; our attendees read what they attended.
public struct ConsultationService: ConsultationServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    /// Records a meeting; with `next_activity` plans the next step, with `deal_update`
    /// changes the consultation's deal (as the caller's UpdateOpportunity and, for a
    /// stage, MoveOpportunityStage would) — all in one transaction: any refusal leaves
    /// nothing behind.
    public func createConsultation(_ request: CreateConsultationRequest, context: ServerContext) async throws -> CreateConsultationResponse {
        let access = try await store.access(context)
        let proposed = try await store.owned(try Consultation.proposed(request.consultation), access: access)
        try await store.requireActiveUsers(proposed.attendeeUserIds, access: access, field: "consultation.attendee_user_ids")
        let next = try await request.nextActivity.asyncMap { try await store.proposedActivity($0, field: "next_activity", access: access, states: [.planned]) }
        let dealAccess = try await request.dealUpdate.asyncMap { try await dealUpdateAccess($0, dealID: proposed.opportunityId, context: context) }
        return try await store.write(access, context: context, request: request) { db, trail in
            let consultation = try TenantStore.insert(db, &trail, proposed) { db, consultation in
                try ConsultationRecords.settle(db, &consultation, before: nil)
            }
            var response = CreateConsultationResponse(consultation: consultation)
            if var next {
                next.consultationId = consultation.id
                if next.leadId.isEmpty, next.accountId.isEmpty, next.opportunityId.isEmpty, next.contactIds.isEmpty {
                    (next.leadId, next.accountId, next.opportunityId, next.contactIds) =
                        (consultation.leadId, consultation.accountId, consultation.opportunityId, consultation.contactIds)
                }
                response.nextActivity = try ActivityRecords.createOrSync(db, &trail, .unprepared(TenantStore.stamped(next)), access: access)
            }
            if let update = request.dealUpdate, let dealAccess {
                response.opportunity = try ConsultationRecords.updateDeal(db, &trail, update, dealID: consultation.opportunityId, access: dealAccess)
            }
            return response
        }
    }

    /// The access a deal update acts with: the caller's UpdateOpportunity scope, which
    /// must also allow MoveOpportunityStage when the stage changes (PERMISSION_DENIED
    /// otherwise, as calling those methods would be).
    private func dealUpdateAccess(_ update: ConsultationDealUpdate, dealID: String, context: ServerContext) async throws -> RecordAccess {
        var validation = Validation()
        validation.check(!dealID.isEmpty, "consultation.opportunity_id", .required, "a deal update needs the consultation's opportunity")
        validation.reference(update.stageId, "deal_update.stage_id")
        validation.date(update.expectedCloseDate, "deal_update.expected_close_date", required: false)
        if let amount = update.amount { validation.money(amount, "deal_update.amount") }
        if let probability = update.probabilityOverridePercent {
            validation.check((0...100).contains(probability), "deal_update.probability_override_percent", .outOfRange, "is not 0 to 100")
        }
        try validation.throwIfInvalid()
        let updating = try await RecordAccess.of(context, actingAs: OpportunityServiceMethods.updateOpportunity, controlPlane: store.controlPlane)
        let moving = try await RecordAccess.of(context, actingAs: OpportunityServiceMethods.moveOpportunityStage, controlPlane: store.controlPlane)
        guard let updating, update.stageId.isEmpty || moving != nil else {
            throw RPCError(
                code: .permissionDenied,
                message: "you may not change the deal's \(update.stageId.isEmpty ? "values" : "stage"); record the consultation without a deal update",
                details: ErrorDetails(reason: "METHOD_NOT_ALLOWED")
            )
        }
        return updating
    }

    public func getConsultation(_ request: GetConsultationRequest, context: ServerContext) async throws -> Consultation {
        try await store.get(Consultation.self, id: request.id, access: try await store.access(context))
    }

    /// Changes the fields named in the mask; links are checked again when they change
    /// (RECORD_LOCKED once a submitted daily report covers the consultation).
    public func updateConsultation(_ request: UpdateConsultationRequest, context: ServerContext) async throws -> Consultation {
        let access = try await store.access(context)
        let mask = try UpdateMask<Consultation>(request.updateMask, updatable: Consultation.updatable, prefix: "consultation")
        let changes = request.consultation ?? Consultation()
        if mask.contains("attendee_user_ids") {
            try await store.requireActiveUsers(changes.attendeeUserIds, access: access, field: "consultation.attendee_user_ids")
        }
        return try await store.update(changes, mask: mask, access: access, context: context, request: request) { db, before, after in
            try ConsultationRecords.settle(db, &after, before: before)
        }
    }

    public func listConsultations(_ request: ListConsultationsRequest, context: ServerContext) async throws -> ListConsultationsResponse {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.query, "query", required: false)
        validation.references([
            "owner_user_id": request.ownerUserId, "team_id": request.teamId, "account_id": request.accountId,
            "contact_id": request.contactId, "opportunity_id": request.opportunityId, "lead_id": request.leadId,
            "attendee_user_id": request.attendeeUserId,
        ])
        validation.bounded(request.channels.count, "channels")
        validation.bounded(request.results.count, "results")
        validation.bounded(request.interests.count, "interests")
        validation.dateRange(request.nextContactDateRange, "next_contact_date_range")
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy, orders: Consultation.orders)
        var query = RecordQuery<Consultation>()
        query.search(request.query)
        query.equals("owner_user_id", request.ownerUserId)
        query.ownedBy(try await store.teamMembers(request.teamId, access: access))
        query.equals("account_id", request.accountId)
        query.equals("opportunity_id", request.opportunityId)
        query.equals("lead_id", request.leadId)
        query.anyOf("channel", request.channels)
        query.anyOf("result", request.results)
        query.anyOf("interest", request.interests)
        query.within("start_time_ms", request.startTime)
        if let range = request.nextContactDateRange {
            if !range.startDate.isEmpty { query.filter("next_contact_date >= ?", [range.startDate]) }
            if !range.endDate.isEmpty { query.filter("next_contact_date != '' AND next_contact_date <= ?", [range.endDate]) }
        }
        if !request.contactId.isEmpty {
            query.filter("EXISTS (SELECT 1 FROM json_each(contact_ids) WHERE value = ?)", [request.contactId])
        }
        if !request.attendeeUserId.isEmpty {
            query.filter("EXISTS (SELECT 1 FROM json_each(attendee_user_ids) WHERE value = ?)", [request.attendeeUserId])
        }
        query.archived(included: request.includeArchived)
        let (consultations, next) = try await store.list(Consultation.self, query, page: page, access: access)
        return ListConsultationsResponse(consultations: consultations, nextPageToken: next)
    }

    /// Archives the consultation (RECORD_LOCKED once a submitted daily report covers it).
    public func archiveConsultation(_ request: ArchiveConsultationRequest, context: ServerContext) async throws -> Consultation {
        try await store.archive(Consultation.self, id: request.id, version: request.version, access: try await store.access(context), context: context, request: request)
    }
}
