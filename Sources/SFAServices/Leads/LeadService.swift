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
        let lead = try await newLead(request.lead ?? Lead(), access: access, ownerField: "lead.owner_user_id")
        var validation = Validation()
        LeadRecords.validateStatus(request.lead?.status ?? .unspecified, "lead.status", into: &validation)
        lead.validate(prefix: "lead.", into: &validation)
        try validation.throwIfInvalid()
        let allowDuplicate = request.allowDuplicate
        // The row, the duplicate keys and the audit changes depend on the request only:
        // worked out here, beside the other calls, rather than on the tenant's writer.
        let prepared = try PreparedRecord(lead) { LeadService.creationChanges($0) }
        let keys = LeadRecords.DuplicateKeys(lead)
        return try await store.write(access, context: context, request: request) { db, trail in
            var lead = lead
            // This sets the status fields only; the keyed fields stay as they were.
            try LeadRecords.applyCustomStatus(&lead, settings: try SettingsRecords.load(db), field: "lead.custom_status")
            let duplicates = try LeadRecords.duplicates(db, of: lead, keys: keys, access: access)
            guard duplicates.isEmpty || allowDuplicate else {
                return CreateLeadResponse(duplicates: duplicates, created: false)
            }
            try prepared.row(for: lead).insert(db)
            trail.record(.lead, lead.id, .create, version: 1, changes: prepared.changes(for: lead))
            return CreateLeadResponse(lead: lead, duplicates: duplicates, created: true)
        }
    }

    /// GetLead and ListLeads answer with the stored leads' bytes (the server sends them
    /// without decoding); the typed functions decode the same answers.
    public var methodHandlers: [RPCMethodHandler] {
        typedMethodHandlers.replacing([
            RPCMethodHandler(method: LeadServiceMethods.getLead) { (request: GetLeadRequest, context) in
                try await self.encodedLead(request, context: context)
            },
            RPCMethodHandler(method: LeadServiceMethods.listLeads) { (request: ListLeadsRequest, context) in
                try await self.encodedLeads(request, context: context)
            },
        ])
    }

    public func getLead(_ request: GetLeadRequest, context: ServerContext) async throws -> Lead {
        try await encodedLead(request, context: context).decoded()
    }

    func encodedLead(_ request: GetLeadRequest, context: ServerContext) async throws -> EncodedMessage<Lead> {
        try await store.getEncoded(Lead.self, id: request.id, access: try await store.access(context))
    }

    /// Changes the fields in the mask. A status in the mask must be one a caller sets
    /// directly, and only a lead still being worked (OPEN, CONTACTED, NURTURE) may
    /// take it; a custom status sets the built-in status it means.
    public func updateLead(_ request: UpdateLeadRequest, context: ServerContext) async throws -> Lead {
        let access = try await store.access(context)
        let changes = request.lead ?? Lead()
        let mask = try UpdateMask<Lead>(request.updateMask, updatable: Lead.updatable, prefix: "lead")
        var validation = Validation()
        if mask.contains("status") {
            LeadRecords.validateStatus(changes.status, "lead.status", into: &validation)
            validation.check(changes.status != .unspecified, "lead.status", .required, "is required when in the mask")
        }
        try validation.throwIfInvalid()
        return try await transition(changes.id, version: changes.version, action: .update, access: access, context: context, request: request) { lead, settings in
            let before = lead
            try mask.apply(changes, to: &lead)
            if mask.contains("custom_status") {
                try LeadRecords.applyCustomStatus(&lead, settings: settings, field: "lead.custom_status")
            }
            guard lead.status == before.status || [.open, .contacted, .nurture].contains(before.status) else {
                throw StorageError.failedPrecondition(
                    reason: "INVALID_STATE_TRANSITION",
                    message: "a \(before.status) lead cannot go back to \(lead.status)"
                )
            }
        }
    }

    public func listLeads(_ request: ListLeadsRequest, context: ServerContext) async throws -> ListLeadsResponse {
        try await encodedLeads(request, context: context).decoded()
    }

    func encodedLeads(_ request: ListLeadsRequest, context: ServerContext) async throws -> EncodedMessage<ListLeadsResponse> {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        validation.bounded(request.statuses.count, "statuses")
        validation.bounded(request.customStatuses.count, "custom_statuses")
        validation.bounded(request.lifecycles.count, "lifecycles")
        validation.bounded(request.sources.count, "sources")
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy)
        var query = RecordQuery<Lead>()
        query.search(request.query)
        query.anyOf("status", request.statuses)
        query.anyOf("custom_status", request.customStatuses)
        query.anyOf("lifecycle", request.lifecycles)
        query.anyOf("source", request.sources)
        query.equals("owner_user_id", request.ownerUserId)
        if request.unassigned { query.filter("owner_user_id = ''") }
        query.ownedBy(try await store.teamMembers(request.teamId, access: access))
        query.within("create_time_ms", request.createTime)
        query.within("update_time_ms", request.updateTime)
        let (leads, next) = try await store.listEncoded(Lead.self, query, page: page, access: access)
        return try store.listResponse(ListLeadsResponse.self, recordsField: "leads", records: leads, nextPageToken: next)
    }

    public func assignLead(_ request: AssignLeadRequest, context: ServerContext) async throws -> Lead {
        let access = try await store.access(context)
        let owner = try await store.owner(request.ownerUserId, access: access, field: "owner_user_id")
        return try await transition(request.id, version: request.version, action: .update, access: access, context: context, request: request) { lead, _ in
            lead.ownerUserId = owner
        }
    }

    // MARK: Shared

    /// A lead as created by `access`: only what a caller may set, server-set fields
    /// filled, owner checked.
    func newLead(_ proposed: Lead, access: RecordAccess, ownerField: String) async throws -> Lead {
        var lead = try Self.stamp(proposed, createdBy: access.principal.userID)
        if access.principal.role == .partner {
            // Partner systems push leads; people assign them. The partner sees the leads it created.
            lead.ownerUserId = ""
            lead.partnerSourceId = access.principal.userID
        } else {
            lead.ownerUserId = try await store.owner(proposed.ownerUserId, access: access, field: ownerField)
            // A seller's own prospect never passes through marketing (QualifyLead).
            lead.salesSourced = [.rep, .manager].contains(access.principal.role) && lead.ownerUserId == access.principal.userID
        }
        return lead
    }

    /// A new lead from the fields a caller may set on `proposed`, with the server-set ones.
    static func stamp(_ proposed: Lead, createdBy: String) throws -> Lead {
        var lead = try Lead.proposed(proposed)
        let now = nowMs()
        lead.id = RecordID.make(Lead.idPrefix)
        lead.version = 1
        lead.status = proposed.status == .contacted ? .contacted : .open
        lead.lifecycle = .unclassified
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

    /// Reads a lead within scope, checks it is still worked and at `version`, lets
    /// `change` modify it with the tenant's settings at hand, then stores it and its
    /// audit event. When the built-in status changes and the custom status was not
    /// set explicitly, the lead takes the tenant's default custom status for its new status.
    func transition(
        _ id: String,
        version: Int64,
        action: AuditAction,
        access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage,
        _ change: @escaping @Sendable (inout Lead, TenantSettings) throws -> Void
    ) async throws -> Lead {
        try await store.modify(Lead.self, id: id, version: version, action: action, access: access, context: context, request: request) {
            db, before, after in
            let settings = try SettingsRecords.load(db)
            try change(&after, settings)
            if after.status != before.status, after.customStatus == before.customStatus {
                after.customStatus = SettingsRecords.defaultCustomStatus(for: after.status, in: settings)
            }
        }
    }
}
