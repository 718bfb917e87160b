import Foundation
import GRDB
import SFAStorage
public import SFAStubs

extension LeadService {
    /// Converts a lead in one transaction: creates (or merges into) an account and a
    /// contact, optionally creates an opportunity, links them to the lead and marks it
    /// CONVERTED. Merging only fills fields the existing record leaves empty (as
    /// Salesforce's LeadConvert does). Any failure leaves nothing behind; converting
    /// twice is refused (FAILED_PRECONDITION, ALREADY_CONVERTED).
    public func convertLead(_ request: ConvertLeadRequest, context: ServerContext) async throws -> ConvertLeadResponse {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.accountName, "account_name", required: false)
        validation.reference(request.existingAccountId, "existing_account_id")
        validation.reference(request.existingContactId, "existing_contact_id")
        if let opportunity = request.opportunity {
            validation.reference(opportunity.pipelineId, "opportunity.pipeline_id")
            validation.reference(opportunity.stageId, "opportunity.stage_id")
        }
        try validation.throwIfInvalid()
        // The records are owned by the requested owner, else the lead's, else the caller;
        // the lead's owner is read first (its version, checked in the transaction, pins it).
        let lead = try await store.get(Lead.self, id: request.id, access: access)
        let requested = !request.ownerUserId.isEmpty ? request.ownerUserId : lead.ownerUserId
        let owner = try await store.owner(requested, access: access, field: "owner_user_id")
        let team = try await store.ownerTeam(owner, access: access)
        // Existing records are found as the caller reads them (reps read every account);
        // filling their empty fields is a change of them, only as far as the caller's own
        // UpdateAccount / UpdateContact would reach.
        guard let accountRead = try await RecordAccess.of(context, actingAs: AccountServiceMethods.getAccount, controlPlane: store.controlPlane),
            let contactRead = try await RecordAccess.of(context, actingAs: ContactServiceMethods.getContact, controlPlane: store.controlPlane)
        else {
            throw RPCError(code: .permissionDenied, message: "converting needs reading accounts and contacts", details: ErrorDetails(reason: "METHOD_NOT_ALLOWED"))
        }
        let links = ConversionLinks(
            accountRead: accountRead,
            contactRead: contactRead,
            accountMerge: try await RecordAccess.of(context, actingAs: AccountServiceMethods.updateAccount, controlPlane: store.controlPlane),
            contactMerge: try await RecordAccess.of(context, actingAs: ContactServiceMethods.updateContact, controlPlane: store.controlPlane),
            owner: owner,
            team: team,
            caller: access.principal.userID
        )

        return try await store.write(access, context: context, request: request) { db, trail in
            var lead = try RecordRows.fetch(db, Lead.self, id: request.id, access: access)
            try lead.requireWritable()
            guard lead.version == request.version else {
                throw StorageError.staleVersion(kind: "lead", id: lead.id, current: lead.version)
            }
            let settings = try SettingsRecords.load(db)
            guard lead.lifecycle == .sql || !settings.requireQualificationToConvert else {
                throw StorageError.failedPrecondition(reason: "QUALIFICATION_REQUIRED", message: "this tenant converts only qualified (SQL) leads")
            }
            if !request.allowDuplicate {
                let duplicates = try Self.conversionDuplicates(db, lead: lead, request: request, links: links)
                if !duplicates.isEmpty { return ConvertLeadResponse(converted: false, duplicates: duplicates) }
            }
            let (account, accountCreated) = try Self.convertAccount(db, lead: lead, request: request, links: links, trail: &trail)
            let (contact, contactCreated) = try Self.convertContact(db, lead: lead, accountID: account.id, request: request, links: links, trail: &trail)
            var opportunityID = ""
            if let proposed = request.opportunity {
                var opportunity = Opportunity(
                    name: proposed.name,
                    accountId: account.id,
                    amount: proposed.amount,
                    expectedCloseDate: proposed.expectedCloseDate,
                    pipelineId: proposed.pipelineId,
                    stageId: proposed.stageId,
                    sourceLeadId: lead.id,
                    ownerUserId: links.owner,
                    createdByUserId: links.caller,
                    teamId: links.team,
                    contactRoles: [OpportunityContactRole(contactId: contact.id, isPrimary: true)]
                )
                opportunity = try TenantStore.insert(db, &trail, opportunity, link: OpportunityRecords.place)
                opportunityID = opportunity.id
            }

            let before = lead
            let now = nowMs()
            lead.status = .converted
            lead.customStatus = SettingsRecords.defaultCustomStatus(for: .converted, in: settings)
            // Conversion is a step past SQL: funnel counts are "reached this step or a later one".
            lead.lifecycle = .sql
            if lead.sqlTimeMs == 0 { lead.sqlTimeMs = now }
            lead.convertedAccountId = account.id
            lead.convertedContactId = contact.id
            lead.convertedOpportunityId = opportunityID
            lead.convertedTimeMs = now
            lead.version += 1
            lead.updateTimeMs = now
            try RecordRows.update(db, lead, expectedVersion: before.version)
            trail.record(.lead, lead.id, .stateChange, version: lead.version, changes: FieldDiff.changes(before, lead, fields: [
                "status", "custom_status", "lifecycle", "sql_time_ms", "converted_account_id", "converted_contact_id", "converted_opportunity_id",
            ]))
            return ConvertLeadResponse(
                lead: lead,
                accountId: account.id,
                contactId: contact.id,
                opportunityId: opportunityID,
                accountCreated: accountCreated,
                contactCreated: contactCreated,
                converted: true
            )
        }
    }

    /// Accounts and contacts conversion would create that look like existing ones:
    /// live accounts with the same normalised company name, live contacts with the same
    /// email. Those the caller may not read are reported without their id.
    private static func conversionDuplicates(_ db: Database, lead: Lead, request: ConvertLeadRequest, links: ConversionLinks) throws -> [DuplicateMatch] {
        var matches: [DuplicateMatch] = []
        if request.existingAccountId.isEmpty {
            let nameKey = RecordText.companyKey(request.accountName.isEmpty ? lead.companyName : request.accountName)
            let statement = try db.cachedStatement(sql: "SELECT data FROM account WHERE name_key = ? AND archived = 0 ORDER BY id LIMIT 10")
            for data in try Data.fetchAll(statement, arguments: [nameKey]) where !nameKey.isEmpty {
                let account = try Account(serializedBytes: Array(data))
                var match = DuplicateMatch(recordKind: .account, matchKind: .companyAndName)
                if links.accountRead.contains(ownerUserID: account.ownerUserId, createdByUserID: account.createdByUserId) {
                    match.recordId = account.id
                    match.displayName = account.name
                    match.companyName = account.name
                    match.ownerUserId = account.ownerUserId
                }
                matches.append(match)
            }
        }
        let emailKey = RecordText.key(lead.email)
        if request.existingContactId.isEmpty, !emailKey.isEmpty {
            let statement = try db.cachedStatement(sql: "SELECT data FROM contact WHERE email_key = ? AND archived = 0 ORDER BY id LIMIT 10")
            for data in try Data.fetchAll(statement, arguments: [emailKey]) {
                let contact = try Contact(serializedBytes: Array(data))
                var match = DuplicateMatch(recordKind: .contact, matchKind: .email)
                if links.contactRead.contains(ownerUserID: contact.ownerUserId, createdByUserID: contact.createdByUserId) {
                    match.recordId = contact.id
                    match.displayName = contact.firstName + " " + contact.lastName
                    match.email = contact.email
                    match.ownerUserId = contact.ownerUserId
                }
                matches.append(match)
            }
        }
        return matches
    }

    private static func convertAccount(
        _ db: Database,
        lead: Lead,
        request: ConvertLeadRequest,
        links: ConversionLinks,
        trail: inout AuditTrail
    ) throws -> (Account, created: Bool) {
        if !request.existingAccountId.isEmpty {
            // Linking needs the account visible; filling its empty fields needs the right to change it.
            try AccountRecords.requireLinkable(db, id: request.existingAccountId, field: "existing_account_id")
            let existing = try RecordRows.fetch(db, Account.self, id: request.existingAccountId, access: links.accountRead)
            let merged = try mergeEmpty(db, &trail, existing, access: links.accountMerge, what: "account") { account in
                if account.website.isEmpty { account.website = lead.website }
                if account.phone.isEmpty { account.phone = lead.phone }
            }
            return (merged, false)
        }
        let account = Account(
            name: request.accountName.isEmpty ? lead.companyName : request.accountName,
            kind: .prospect,
            website: lead.website,
            phone: lead.phone,
            sourceLeadId: lead.id,
            ownerUserId: links.owner,
            createdByUserId: links.caller
        )
        return (try TenantStore.insert(db, &trail, account), true)
    }

    private static func convertContact(
        _ db: Database,
        lead: Lead,
        accountID: String,
        request: ConvertLeadRequest,
        links: ConversionLinks,
        trail: inout AuditTrail
    ) throws -> (Contact, created: Bool) {
        if !request.existingContactId.isEmpty {
            guard let existing = try RecordRows.find(db, Contact.self, id: request.existingContactId, access: links.contactRead),
                !existing.archived
            else {
                throw RPCError.invalidArgument(
                    "unknown contact",
                    violations: [FieldViolation("existing_contact_id", .notFound, "no live contact \(request.existingContactId)")]
                )
            }
            guard existing.accountId.isEmpty || existing.accountId == accountID else {
                throw RPCError.invalidArgument(
                    "the contact belongs to another account",
                    violations: [FieldViolation("existing_contact_id", .inconsistent, "belongs to account \(existing.accountId)")]
                )
            }
            let merged = try mergeEmpty(db, &trail, existing, access: links.contactMerge, what: "contact") { contact in
                contact.accountId = accountID
                if contact.email.isEmpty { contact.email = lead.email }
                if contact.phone.isEmpty { contact.phone = lead.phone }
                if contact.jobTitle.isEmpty { contact.jobTitle = lead.jobTitle }
            }
            return (merged, false)
        }
        let contact = Contact(
            accountId: accountID,
            firstName: lead.firstName,
            lastName: lead.lastName,
            email: lead.email,
            phone: lead.phone,
            jobTitle: lead.jobTitle,
            sourceLeadId: lead.id,
            ownerUserId: links.owner,
            createdByUserId: links.caller
        )
        return (try TenantStore.insert(db, &trail, contact), true)
    }

    /// Fills empty fields of an existing record from the lead (Salesforce-style merge):
    /// a change of it, so only within `access` (MERGE_NOT_ALLOWED otherwise), audited as
    /// a merge.
    private static func mergeEmpty<R: OwnedRecord>(
        _ db: Database,
        _ trail: inout AuditTrail,
        _ existing: R,
        access: RecordAccess?,
        what: String,
        fill: (inout R) -> Void
    ) throws -> R {
        var merged = existing
        fill(&merged)
        guard merged != existing else { return existing }
        try RecordAccess.requireChangeable(access, ownerUserID: existing.ownerUserId, createdByUserID: existing.createdByUserId, what: what)
        guard let access else { return existing }
        return try TenantStore.commit(db, &trail, before: existing, version: existing.version, action: .merge, access: access) { $0 = merged }
    }
}

/// Who conversion acts for, resolved before its transaction: how the caller reads and
/// may change existing accounts and contacts, and the owner (with team) of what it creates.
struct ConversionLinks: Sendable {
    let accountRead: RecordAccess
    let contactRead: RecordAccess
    let accountMerge: RecordAccess?
    let contactMerge: RecordAccess?
    let owner: String
    let team: String
    let caller: String
}
