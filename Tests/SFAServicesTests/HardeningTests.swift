import Foundation
import SFAStubs
import Testing

/// Paths a careless or hostile caller might take around the rules.
@Suite struct HardeningTests {
    @Test func conversionCannotMergeIntoRecordsOutsideTheCallersScope() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Merge")
            let admin = stack.admin(tenant.keys[.admin])
            let otherRep = try await admin.createUser(CreateUserRequest(user: User(displayName: "Rep Two", email: "rep2@merge.example", role: .rep)))
            let otherKey = try await admin.issueApiKey(IssueApiKeyRequest(userId: otherRep.id)).secret
            let theirAccount = try await stack.accounts(otherKey).createAccount(CreateAccountRequest(account: Account(name: "Theirs")))
            let rep = stack.leads(tenant.keys[.rep])
            let lead = try #require(try await rep.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead)
            // The rep reads every account, so it finds this one; filling its empty fields
            // would change another rep's account.
            let refusal = await failure {
                try await rep.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version, existingAccountId: theirAccount.id))
            }
            #expect(refusal?.code == .permissionDenied && refusal?.details.reason == "MERGE_NOT_ALLOWED")
            #expect(try await stack.accounts(otherKey).getAccount(GetAccountRequest(id: theirAccount.id)) == theirAccount)
        }
    }

    /// Inside sales converts any lead (ConvertLead: all) but changes only the accounts
    /// and contacts it owns (UpdateAccount, UpdateContact: own): linking a lead to a
    /// rep's account is a hand-off, filling the account's empty fields is a change.
    @Test func conversionChangesOnlyRecordsTheCallerMayUpdate() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("MergeScope")
            let repAccounts = stack.accounts(tenant.keys[.rep])
            let bare = try await repAccounts.createAccount(CreateAccountRequest(account: Account(name: "Bare")))
            let complete = try await repAccounts.createAccount(CreateAccountRequest(account: Account(name: "Complete", website: "https://x.example", phone: "+1 555 0100")))
            let repContact = try await stack.contacts(tenant.keys[.rep]).createContact(CreateContactRequest(contact: Contact(lastName: "Rep's")))
            let insideSales = stack.leads(tenant.keys[.insideSales])
            let lead = try #require(try await insideSales.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead)
            var refusal: RPCError?
            do {
                _ = try await insideSales.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version, existingAccountId: bare.id))
            } catch let error as RPCError {
                refusal = error
            }
            #expect(refusal?.code == .permissionDenied && refusal?.details.reason == "MERGE_NOT_ALLOWED")
            #expect(await statusOf {
                try await insideSales.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version, existingAccountId: complete.id, existingContactId: repContact.id))
            } == .permissionDenied)
            // Nothing was written by the refused conversions.
            #expect(try await repAccounts.getAccount(GetAccountRequest(id: bare.id)) == bare)
            #expect(try await stack.contacts(tenant.keys[.rep]).getContact(GetContactRequest(id: repContact.id)) == repContact)
            #expect(try await insideSales.getLead(GetLeadRequest(id: lead.id)) == lead)

            // Linking to the rep's complete account changes nothing in it: allowed.
            let converted = try await insideSales.convertLead(ConvertLeadRequest(id: lead.id, version: lead.version, existingAccountId: complete.id))
            #expect(converted.accountId == complete.id && !converted.accountCreated)
            #expect(try await repAccounts.getAccount(GetAccountRequest(id: complete.id)) == complete)
        }
    }

    /// Huge filters are refused before any SQL (they used to end as INTERNAL: "too
    /// many SQL variables", "LIKE pattern too complex"): over the size of an admin
    /// request (64 KiB) for their bytes, below it for their count.
    @Test func hugeFiltersAreRefusedNotInternal() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Filters")
            let admin = stack.admin(tenant.keys[.admin])
            let operatorAdmin = stack.admin(stack.operatorKey)
            #expect(await statusOf { try await admin.listUsers(ListUsersRequest(roles: Array(repeating: .rep, count: 300_000))) } == .resourceExhausted)
            #expect(await statusOf { try await operatorAdmin.listTenants(ListTenantsRequest(statuses: Array(repeating: .active, count: 300_000))) } == .resourceExhausted)
            #expect(await statusOf { try await admin.listUsers(ListUsersRequest(roles: Array(repeating: .rep, count: 30_000))) } == .invalidArgument)
            #expect(await statusOf { try await operatorAdmin.listTenants(ListTenantsRequest(statuses: Array(repeating: .active, count: 30_000))) } == .invalidArgument)
            #expect(await statusOf { try await operatorAdmin.listTenants(ListTenantsRequest(query: String(repeating: "%_", count: 25_000))) } == .invalidArgument)
            let audit = AuditServiceClient(stack.client(tenant.keys[.admin]))
            #expect(await statusOf { try await audit.listAuditEvents(ListAuditEventsRequest(actions: Array(repeating: .create, count: 1_000))) } == .invalidArgument)
            // Within the bounds, repeated values are fine.
            #expect(try await admin.listUsers(ListUsersRequest(roles: [.rep, .rep, .manager])).users.count == 2)
        }
    }

    @Test func customStatusesAndUpdatesCannotSidestepTheLifecycle() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Sidestep")
            let settings = stack.settings(tenant.keys[.admin])
            _ = try await settings.updateTenantSettings(
                UpdateTenantSettingsRequest(
                    settings: TenantSettings(leadStatuses: [LeadStatusDefinition(key: "fresh", label: "Fresh", meaning: .open)]),
                    updateMask: ["lead_statuses"]
                )
            )
            let marketing = stack.leads(tenant.keys[.marketing])
            var lead = try #require(try await marketing.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead)
            lead = try await marketing.markLeadMql(MarkLeadMqlRequest(id: lead.id, version: lead.version))
            lead = try await stack.leads(tenant.keys[.insideSales]).qualifyLead(QualifyLeadRequest(id: lead.id, version: lead.version, needIdentified: true))
            // A QUALIFIED lead cannot go back to OPEN through a custom status either.
            #expect(await statusOf {
                try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, customStatus: "fresh"), updateMask: ["custom_status"]))
            } == .failedPrecondition)
            // A lead keeps an email or a phone, whatever the order of updates.
            let other = try #require(try await marketing.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("2"))).lead)
            let noPhone = try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: other.id, version: other.version, phone: ""), updateMask: ["phone"]))
            #expect(await statusOf {
                try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: other.id, version: noPhone.version, email: ""), updateMask: ["email"]))
            } == .invalidArgument)
            // A custom status in use keeps its meaning.
            _ = try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: other.id, version: noPhone.version, customStatus: "fresh"), updateMask: ["custom_status"]))
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            #expect(await statusOf {
                try await settings.updateTenantSettings(
                    UpdateTenantSettingsRequest(
                        settings: TenantSettings(version: current.version, leadStatuses: [LeadStatusDefinition(key: "fresh", label: "Fresh", meaning: .contacted)]),
                        updateMask: ["lead_statuses"]
                    )
                )
            } == .failedPrecondition)
        }
    }

    @Test func anEmptyOwnerMeansTheCallerNeverNobody() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Owners")
            let accounts = stack.accounts(tenant.keys[.rep])
            let account = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Mine")))
            let updated = try await accounts.updateAccount(
                UpdateAccountRequest(account: Account(id: account.id, version: account.version), updateMask: ["owner_user_id"])
            )
            #expect(updated.ownerUserId == tenant.users[.rep]!.id)
            // The owner was the caller already: nothing changed, so nothing was written.
            #expect(try await accounts.getAccount(GetAccountRequest(id: account.id)).version == 1)
        }
    }

    @Test func oversizedKeysAndFiltersAreRefused() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Bounds")
            let marketing = stack.leads(tenant.keys[.marketing])
            #expect(await statusOf {
                try await marketing.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead()), options: CallOptions(idempotencyKey: String(repeating: "k", count: 129)))
            } == .invalidArgument)
            #expect(await statusOf {
                try await marketing.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead()), options: CallOptions(idempotencyKey: "has space"))
            } == .invalidArgument)
            #expect(await statusOf { try await marketing.listLeads(ListLeadsRequest(query: String(repeating: "q", count: 201))) } == .invalidArgument)
            #expect(await statusOf { try await marketing.listLeads(ListLeadsRequest(statuses: Array(repeating: .open, count: 51))) } == .invalidArgument)
            #expect(await statusOf {
                try await stack.accounts(tenant.keys[.admin]).createAccount(
                    CreateAccountRequest(account: Account(name: "Big", billingAddress: PostalAddress(city: String(repeating: "c", count: 1000))))
                )
            } == .invalidArgument)
            #expect(try await marketing.listLeads(ListLeadsRequest()).leads.isEmpty)
        }
    }

    @Test func deletingATenantNeedsItsVersionAndRemovesItsFilesAndBackups() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Gone")
            let operatorAdmin = stack.admin(stack.operatorKey)
            _ = try await operatorAdmin.backupTenant(BackupTenantRequest(tenantId: tenant.tenant.id))
            #expect(await statusOf { try await operatorAdmin.deleteTenant(DeleteTenantRequest(tenantId: tenant.tenant.id, version: 0)) } == .aborted)
            let deleted = try await operatorAdmin.deleteTenant(DeleteTenantRequest(tenantId: tenant.tenant.id, version: tenant.tenant.version))
            #expect(deleted.status == .deleted)
            let manager = FileManager.default
            #expect(!manager.fileExists(atPath: stack.storage.tenantsDirectory + "/\(tenant.tenant.id).sqlite"))
            #expect(!manager.fileExists(atPath: stack.storage.backupsDirectory + "/\(tenant.tenant.id)"))
            #expect(await statusOf { try await stack.leads(tenant.keys[.admin]).listLeads(ListLeadsRequest()) } == .unauthenticated)
            #expect(try await operatorAdmin.getTenant(GetTenantRequest(tenantId: tenant.tenant.id)).status == .deleted)
        }
    }
}
