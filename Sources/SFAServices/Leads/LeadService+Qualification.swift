import SFAStorage
public import SFAStubs

extension LeadService {
    /// Marketing accepts the lead: lifecycle MQL. A nurtured lead is recycled: it
    /// comes back as an OPEN MQL, keeps its first MQL time and counts the return.
    public func markLeadMql(_ request: MarkLeadMqlRequest, context: ServerContext) async throws -> Lead {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.note, "note", required: false, maximumLength: 2000)
        try validation.throwIfInvalid()
        return try await transition(request.id, version: request.version, action: .stateChange, access: access, context: context, request: request) { lead, _ in
            let recycled = lead.status == .nurture
            guard lead.lifecycle == .unclassified || lead.lifecycle == .unspecified || recycled else {
                throw StorageError.failedPrecondition(reason: "INVALID_STATE_TRANSITION", message: "the lead is \(lead.lifecycle) already")
            }
            let now = nowMs()
            lead.lifecycle = .mql
            if lead.mqlTimeMs == 0 {
                lead.mqlTimeMs = now
            } else if recycled {
                lead.reMqlCount += 1
            }
            lead.lastMqlTimeMs = now
            if lead.status == .nurture { lead.status = .open }
            if !request.note.isEmpty { lead.notes = lead.notes.isEmpty ? request.note : lead.notes + "\n" + request.note }
        }
    }

    /// Inside sales accepts an MQL: lifecycle SQL, status QUALIFIED, with the criteria
    /// (need, authority, budget) and who decided. A seller's own prospect
    /// (`sales_sourced`) is qualified from UNCLASSIFIED. A lead without
    /// an identified need is disqualified, not qualified.
    public func qualifyLead(_ request: QualifyLeadRequest, context: ServerContext) async throws -> Lead {
        let access = try await store.access(context)
        var validation = Validation()
        validation.check(request.needIdentified, "need_identified", .required, "a lead is qualified only with an identified need")
        validation.text(request.notes, "notes", required: false, maximumLength: 2000)
        try validation.throwIfInvalid()
        let decidedBy = access.principal.userID
        return try await transition(request.id, version: request.version, action: .stateChange, access: access, context: context, request: request) { lead, _ in
            guard lead.lifecycle == .mql || (lead.lifecycle == .unclassified && lead.salesSourced) else {
                throw StorageError.failedPrecondition(
                    reason: "INVALID_STATE_TRANSITION",
                    message: "only an MQL, or a seller's own unclassified lead, can be qualified; the lead is \(lead.lifecycle)"
                )
            }
            let now = nowMs()
            lead.lifecycle = .sql
            lead.status = .qualified
            if lead.sqlTimeMs == 0 { lead.sqlTimeMs = now }
            lead.qualification = LeadQualification(
                needIdentified: request.needIdentified,
                authorityConfirmed: request.authorityConfirmed,
                budgetConfirmed: request.budgetConfirmed,
                notes: request.notes,
                decidedByUserId: decidedBy,
                decidedTimeMs: now
            )
        }
    }

    /// Takes a lead out of the pipeline with a reason: to NURTURE (marketing keeps
    /// warming it) or ARCHIVED (read-only from then on).
    public func disqualifyLead(_ request: DisqualifyLeadRequest, context: ServerContext) async throws -> Lead {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.reason, "reason", maximumLength: 500)
        validation.known(request.target, "target")
        try validation.throwIfInvalid()
        return try await transition(request.id, version: request.version, action: request.target == .archived ? .archive : .stateChange, access: access, context: context, request: request) { lead, _ in
            lead.status = request.target == .archived ? .archived : .nurture
            lead.disqualificationReason = request.reason
        }
    }
}
