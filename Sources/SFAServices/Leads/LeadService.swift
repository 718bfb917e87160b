import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.LeadService`: leads from first touch to conversion (SPEC §2).
///
/// Lifecycle: OPEN → CONTACTED (UpdateLead) → MQL (MarkLeadMql, marketing) → SQL and
/// QUALIFIED (QualifyLead, inside sales) → CONVERTED (ConvertLead: account, contact
/// and optionally opportunity in one transaction). DisqualifyLead sends a lead to
/// NURTURE or ARCHIVED, never leaving it in the pipeline. Converted and archived
/// leads are read-only.
public struct LeadService: LeadServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    /// Creates a lead unless it looks like an existing lead or contact: then nothing
    /// is created and the matches are returned (`created` false), unless
    /// `allow_duplicate` is set.
    public func createLead(_ request: CreateLeadRequest, context: ServerContext) async throws -> CreateLeadResponse {
        let access = try await store.access(context)
        var validation = Validation()
        LeadRecords.validate(request.lead ?? Lead(), fields: LeadRecords.editable, prefix: "lead.", into: &validation)
        try validation.throwIfInvalid()
        let lead = try await newLead(request.lead ?? Lead(), access: access, ownerField: "lead.owner_user_id")
        let allowDuplicate = request.allowDuplicate
        return try await store.write(access, context: context, request: request) { db, trail in
            var lead = lead
            try LeadRecords.applyCustomStatus(&lead, settings: try SettingsRecords.load(db), field: "lead.custom_status")
            let duplicates = try LeadRecords.duplicates(db, of: lead, access: access)
            guard duplicates.isEmpty || allowDuplicate else {
                return CreateLeadResponse(duplicates: duplicates, created: false)
            }
            try RecordRows.insert(db, table: LeadRecords.table, columns: LeadRecords.columns(lead))
            trail.record(.lead, lead.id, .create, version: 1, changes: LeadService.creationChanges(lead))
            return CreateLeadResponse(lead: lead, duplicates: duplicates, created: true)
        }
    }

    public func getLead(_ request: GetLeadRequest, context: ServerContext) async throws -> Lead {
        let access = try await store.access(context)
        return try await store.read(access) { db in try LeadRecords.fetch(db, id: request.id, access: access) }
    }

    public func updateLead(_ request: UpdateLeadRequest, context: ServerContext) async throws -> Lead {
        let access = try await store.access(context)
        let changes = request.lead ?? Lead()
        let mask = try UpdateMask(request.updateMask, updatable: LeadRecords.editable, prefix: "lead")
        var validation = Validation()
        LeadRecords.validate(changes, fields: mask.fields, prefix: "lead.", into: &validation)
        validation.check(!mask.contains("status") || changes.status != .unspecified, "lead.status", "is required when in the mask")
        try validation.throwIfInvalid()
        return try await transition(request.lead?.id ?? "", version: changes.version, access: access, context: context, request: request) { lead, settings in
            if mask.contains("status") {
                guard [.open, .contacted, .nurture].contains(lead.status) else {
                    throw StorageError.failedPrecondition(
                        reason: "INVALID_STATE_TRANSITION",
                        message: "a \(lead.status) lead cannot go back to \(changes.status)"
                    )
                }
                lead.status = changes.status
            }
            if mask.contains("first_name") { lead.firstName = changes.firstName }
            if mask.contains("last_name") { lead.lastName = changes.lastName }
            if mask.contains("email") { lead.email = changes.email }
            if mask.contains("phone") { lead.phone = changes.phone }
            if mask.contains("company_name") { lead.companyName = changes.companyName }
            if mask.contains("job_title") { lead.jobTitle = changes.jobTitle }
            if mask.contains("website") { lead.website = changes.website }
            if mask.contains("source") { lead.source = changes.source }
            if mask.contains("source_detail") { lead.sourceDetail = changes.sourceDetail }
            if mask.contains("custom_status") {
                let statusBefore = lead.status
                lead.customStatus = changes.customStatus
                try LeadRecords.applyCustomStatus(&lead, settings: settings, field: "lead.custom_status")
                guard lead.status == statusBefore || [.open, .contacted, .nurture].contains(statusBefore) else {
                    throw StorageError.failedPrecondition(
                        reason: "INVALID_STATE_TRANSITION",
                        message: "a \(statusBefore) lead cannot go back to \(lead.status)"
                    )
                }
            }
            if mask.contains("external_id") { lead.externalId = changes.externalId }
            if mask.contains("notes") { lead.notes = changes.notes }
            if mask.contains("custom_fields") { lead.customFields = changes.customFields }
            guard !lead.email.isEmpty || !lead.phone.isEmpty else {
                throw RPCError.invalidArgument(
                    "a lead needs an email or a phone number",
                    violations: [FieldViolation(field: "lead.email", description: "the lead would have neither email nor phone")]
                )
            }
            return (.update, mask.fields)
        }
    }

    public func listLeads(_ request: ListLeadsRequest, context: ServerContext) async throws -> ListLeadsResponse {
        let access = try await store.access(context)
        let order = try ListOrder(request.orderBy)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        validation.bounded(request.statuses.count, "statuses")
        validation.bounded(request.customStatuses.count, "custom_statuses")
        validation.bounded(request.lifecycles.count, "lifecycles")
        validation.bounded(request.sources.count, "sources")
        try validation.throwIfInvalid()
        let filter = [
            "leads", request.orderBy, request.query, "\(request.statuses.map(\.rawValue))", "\(request.customStatuses)",
            "\(request.lifecycles.map(\.rawValue))", "\(request.sources.map(\.rawValue))", request.ownerUserId, request.teamId,
            request.createTime.map { "\($0.startTimeMs)-\($0.endTimeMs)" } ?? "",
            request.updateTime.map { "\($0.startTimeMs)-\($0.endTimeMs)" } ?? "",
        ].joined(separator: "|")
        let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken, filter: filter)
        let teamMembers = request.teamId.isEmpty ? nil : try await store.controlPlane.teamMemberIDs(tenantID: access.tenantID, teamID: request.teamId)
        let members = teamMembers
        let leads = try await store.read(access) { db in
            var query = Table(LeadRecords.table).all().filter(access.condition)
            if !request.query.isEmpty { query = query.filter(Column("search").like(RecordText.likePattern(request.query), escape: "\\")) }
            if !request.statuses.isEmpty { query = query.filter(request.statuses.map(\.rawValue).contains(Column("status"))) }
            if !request.customStatuses.isEmpty { query = query.filter(request.customStatuses.contains(Column("custom_status"))) }
            if !request.lifecycles.isEmpty { query = query.filter(request.lifecycles.map(\.rawValue).contains(Column("lifecycle"))) }
            if !request.sources.isEmpty { query = query.filter(request.sources.map(\.rawValue).contains(Column("source"))) }
            if !request.ownerUserId.isEmpty { query = query.filter(Column("owner_user_id") == request.ownerUserId) }
            if let members { query = query.filter(members.contains(Column("owner_user_id"))) }
            if let range = request.createTime { query = query.filter(range: range, column: "create_time_ms") }
            if let range = request.updateTime { query = query.filter(range: range, column: "update_time_ms") }
            return try RecordRows.fetchAll(db, Lead.self, query.page(page, order: order))
        }
        return ListLeadsResponse(leads: leads, nextPageToken: page.nextToken(lastID: leads.last?.id, count: leads.count, filter: filter))
    }

    public func assignLead(_ request: AssignLeadRequest, context: ServerContext) async throws -> Lead {
        let access = try await store.access(context)
        let owner = try await store.owner(request.ownerUserId, access: access, field: "owner_user_id")
        return try await transition(request.id, version: request.version, access: access, context: context, request: request) { lead, _ in
            lead.ownerUserId = owner
            return (.update, ["owner_user_id"])
        }
    }

    // MARK: Shared

    /// A lead as created by `access`: server-set fields filled, owner checked.
    func newLead(_ proposed: Lead, access: RecordAccess, ownerField: String) async throws -> Lead {
        var lead = proposed
        if access.principal.role == .partner {
            // Partner systems push leads; people assign them. The partner sees the leads it created.
            lead.ownerUserId = ""
            lead.partnerSourceId = access.principal.userID
        } else {
            lead.ownerUserId = try await store.owner(proposed.ownerUserId, access: access, field: ownerField)
            lead.partnerSourceId = ""
        }
        return Self.stamp(lead, createdBy: access.principal.userID)
    }

    /// Server-set fields of a new lead.
    static func stamp(_ proposed: Lead, createdBy: String) -> Lead {
        var lead = proposed
        let now = nowMs()
        lead.id = RecordID.make("lead")
        lead.version = 1
        lead.status = proposed.status == .contacted ? .contacted : .open
        lead.lifecycle = .unclassified
        lead.qualification = nil
        lead.disqualificationReason = ""
        lead.convertedAccountId = ""
        lead.convertedContactId = ""
        lead.convertedOpportunityId = ""
        lead.convertedTimeMs = 0
        lead.mqlTimeMs = 0
        lead.sqlTimeMs = 0
        lead.createdByUserId = createdBy
        lead.createTimeMs = now
        lead.updateTimeMs = now
        return lead
    }

    static func creationChanges(_ lead: Lead) -> [FieldChange] {
        [
            AuditLog.change("name", before: nil, after: lead.firstName + " " + lead.lastName),
            AuditLog.change("company_name", before: nil, after: lead.companyName),
            AuditLog.change("email", before: nil, after: lead.email),
            AuditLog.change("source", before: nil, after: "\(lead.source)"),
            AuditLog.change("owner_user_id", before: nil, after: lead.ownerUserId),
        ]
    }

    /// Reads a lead within scope, checks its version, lets `change` modify it (and
    /// name the fields it changed), then stores it and its audit event. When the
    /// built-in status changes and the custom status was not set explicitly, the lead
    /// takes the tenant's default custom status for its new status.
    func transition(
        _ id: String,
        version: Int64,
        access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage,
        _ change: @escaping @Sendable (inout Lead, TenantSettings) throws -> (AuditAction, Set<String>)
    ) async throws -> Lead {
        try await store.write(access, context: context, request: request) { db, trail in
            let before = try LeadRecords.fetch(db, id: id, access: access)
            try LeadRecords.requireWorkable(before)
            guard before.version == version else {
                throw StorageError.staleVersion(kind: "lead", id: id, current: before.version)
            }
            var after = before
            let settings = try SettingsRecords.load(db)
            var (action, fields) = try change(&after, settings)
            if after.status != before.status, after.customStatus == before.customStatus {
                after.customStatus = SettingsRecords.defaultCustomStatus(for: after.status, in: settings)
                fields.insert("custom_status")
            }
            after.version = before.version + 1
            after.updateTimeMs = nowMs()
            try RecordRows.update(db, table: LeadRecords.table, id: id, expectedVersion: version, columns: LeadRecords.columns(after))
            trail.record(.lead, id, action, version: after.version, changes: FieldDiff.changes(before, after, fields: fields))
            return after
        }
    }
}
