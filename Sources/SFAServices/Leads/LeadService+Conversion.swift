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
            validation.text(opportunity.name, "opportunity.name")
            if let amount = opportunity.amount { validation.money(amount, "opportunity.amount") }
            validation.date(opportunity.expectedCloseDate, "opportunity.expected_close_date", required: false)
            validation.reference(opportunity.pipelineId, "opportunity.pipeline_id")
            validation.reference(opportunity.stageId, "opportunity.stage_id")
        }
        try validation.throwIfInvalid()
        let requestedOwner = request.ownerUserId
        let owner = requestedOwner.isEmpty ? "" : try await store.owner(requestedOwner, access: access, field: "owner_user_id")
        let caller = access.principal.userID
        // Merging that changes the existing account or contact is a change of it: only
        // as far as the caller's own UpdateAccount / UpdateContact would reach.
        let accountMerge = request.existingAccountId.isEmpty
            ? nil : try await RecordAccess.of(context, actingAs: AccountServiceMethods.updateAccount, controlPlane: store.controlPlane)
        let contactMerge = request.existingContactId.isEmpty
            ? nil : try await RecordAccess.of(context, actingAs: ContactServiceMethods.updateContact, controlPlane: store.controlPlane)

        return try await store.write(access, context: context, request: request) { db, trail in
            var lead = try RecordRows.fetch(db, Lead.self, id: request.id, access: access)
            try lead.requireWritable()
            guard lead.version == request.version else {
                throw StorageError.staleVersion(kind: "lead", id: lead.id, current: lead.version)
            }
            let recordOwner = !owner.isEmpty ? owner : (lead.ownerUserId.isEmpty ? caller : lead.ownerUserId)
            let now = nowMs()

            let (account, accountCreated) = try Self.convertAccount(
                db, lead: lead, request: request, owner: recordOwner, caller: caller, now: now, access: access, merge: accountMerge, trail: &trail)
            let (contact, contactCreated) = try Self.convertContact(
                db, lead: lead, accountID: account.id, request: request, owner: recordOwner, caller: caller, now: now, access: access,
                merge: contactMerge, trail: &trail)
            var opportunityID = ""
            if let proposed = request.opportunity {
                let opportunity = Opportunity(
                    id: RecordID.make("opp"),
                    version: 1,
                    name: proposed.name,
                    accountId: account.id,
                    primaryContactId: contact.id,
                    amount: proposed.amount,
                    expectedCloseDate: proposed.expectedCloseDate,
                    pipelineId: proposed.pipelineId,
                    stageId: proposed.stageId,
                    state: .open,
                    sourceLeadId: lead.id,
                    ownerUserId: recordOwner,
                    createdByUserId: caller,
                    createTimeMs: now,
                    updateTimeMs: now
                )
                try RecordRows.insert(db, opportunity)
                trail.record(.opportunity, opportunity.id, .create, version: 1, changes: [
                    AuditLog.change("name", before: nil, after: opportunity.name),
                    AuditLog.change("source_lead_id", before: nil, after: lead.id),
                ])
                opportunityID = opportunity.id
            }

            let before = lead
            lead.status = .converted
            lead.customStatus = SettingsRecords.defaultCustomStatus(for: .converted, in: try SettingsRecords.load(db))
            lead.convertedAccountId = account.id
            lead.convertedContactId = contact.id
            lead.convertedOpportunityId = opportunityID
            lead.convertedTimeMs = now
            lead.version += 1
            lead.updateTimeMs = now
            try RecordRows.update(db, lead, expectedVersion: before.version)
            trail.record(.lead, lead.id, .stateChange, version: lead.version, changes: FieldDiff.changes(before, lead, fields: [
                "status", "custom_status", "converted_account_id", "converted_contact_id", "converted_opportunity_id",
            ]))
            return ConvertLeadResponse(
                lead: lead,
                accountId: account.id,
                contactId: contact.id,
                opportunityId: opportunityID,
                accountCreated: accountCreated,
                contactCreated: contactCreated
            )
        }
    }

    private static func convertAccount(
        _ db: Database,
        lead: Lead,
        request: ConvertLeadRequest,
        owner: String,
        caller: String,
        now: Int64,
        access: RecordAccess,
        merge: RecordAccess?,
        trail: inout AuditTrail
    ) throws -> (Account, created: Bool) {
        if !request.existingAccountId.isEmpty {
            // Linking needs the account visible; filling its empty fields needs the right to change it.
            try AccountRecords.requireLinkable(db, id: request.existingAccountId, field: "existing_account_id")
            let existing = try RecordRows.fetch(db, Account.self, id: request.existingAccountId, access: access)
            var merged = existing
            if merged.website.isEmpty { merged.website = lead.website }
            if merged.phone.isEmpty { merged.phone = lead.phone }
            if merged != existing {
                try RecordAccess.requireChangeable(merge, ownerUserID: existing.ownerUserId, createdByUserID: existing.createdByUserId, what: "account")
                merged.version += 1
                merged.updateTimeMs = now
                try RecordRows.update(db, merged, expectedVersion: existing.version)
                trail.record(.account, merged.id, .merge, version: merged.version, changes: FieldDiff.changes(existing, merged, fields: ["website", "phone"]))
            }
            return (merged, false)
        }
        let account = Account(
            id: RecordID.make("acct"),
            version: 1,
            name: request.accountName.isEmpty ? lead.companyName : request.accountName,
            kind: .prospect,
            website: lead.website,
            phone: lead.phone,
            sourceLeadId: lead.id,
            ownerUserId: owner,
            createdByUserId: caller,
            createTimeMs: now,
            updateTimeMs: now
        )
        try RecordRows.insert(db, account)
        trail.record(.account, account.id, .create, version: 1, changes: [
            AuditLog.change("name", before: nil, after: account.name), AuditLog.change("source_lead_id", before: nil, after: lead.id),
        ])
        return (account, true)
    }

    private static func convertContact(
        _ db: Database,
        lead: Lead,
        accountID: String,
        request: ConvertLeadRequest,
        owner: String,
        caller: String,
        now: Int64,
        access: RecordAccess,
        merge: RecordAccess?,
        trail: inout AuditTrail
    ) throws -> (Contact, created: Bool) {
        if !request.existingContactId.isEmpty {
            guard let existing = try RecordRows.find(db, Contact.self, id: request.existingContactId, access: access),
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
            var merged = existing
            merged.accountId = accountID
            if merged.email.isEmpty { merged.email = lead.email }
            if merged.phone.isEmpty { merged.phone = lead.phone }
            if merged.jobTitle.isEmpty { merged.jobTitle = lead.jobTitle }
            if merged != existing {
                try RecordAccess.requireChangeable(merge, ownerUserID: existing.ownerUserId, createdByUserID: existing.createdByUserId, what: "contact")
                merged.version += 1
                merged.updateTimeMs = now
                try RecordRows.update(db, merged, expectedVersion: existing.version)
                trail.record(.contact, merged.id, .merge, version: merged.version, changes: FieldDiff.changes(existing, merged, fields: [
                    "account_id", "email", "phone", "job_title",
                ]))
            }
            return (merged, false)
        }
        let contact = Contact(
            id: RecordID.make("cont"),
            version: 1,
            accountId: accountID,
            firstName: lead.firstName,
            lastName: lead.lastName,
            email: lead.email,
            phone: lead.phone,
            jobTitle: lead.jobTitle,
            sourceLeadId: lead.id,
            ownerUserId: owner,
            createdByUserId: caller,
            createTimeMs: now,
            updateTimeMs: now
        )
        try RecordRows.insert(db, contact)
        trail.record(.contact, contact.id, .create, version: 1, changes: [
            AuditLog.change("name", before: nil, after: contact.firstName + " " + contact.lastName),
            AuditLog.change("source_lead_id", before: nil, after: lead.id),
        ])
        return (contact, true)
    }
}
