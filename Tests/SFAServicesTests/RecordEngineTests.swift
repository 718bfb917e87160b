@testable import SFAServices
import SFAClient
import SFAStubs
import Testing

/// The generic record lifecycle (`TenantStore`'s get, update, archive, list), each
/// rule shown through two different record types over the real server.
@Suite struct RecordEngineTests {
    /// The violations of a call that must fail with INVALID_ARGUMENT.
    private func violations(_ call: () async throws -> some Any) async -> [FieldViolation] {
        do {
            _ = try await call()
            Issue.record("the call succeeded")
            return []
        } catch let error as RPCError {
            expectReasons(error)
            #expect(error.code == .invalidArgument)
            return error.details.fieldViolations
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    @Test func aMisspeltMaskFieldIsRefusedAndChangesNothing() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Masks")
            let accounts = stack.accounts(tenant.keys[.admin])
            let contacts = stack.contacts(tenant.keys[.admin])
            let acme = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Acme")))
            let mina = try await contacts.createContact(CreateContactRequest(contact: Contact(lastName: "Park")))

            let accountViolations = await violations {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1, name: "X"), updateMask: ["nmae"]))
            }
            #expect(accountViolations.map(\.field) == ["update_mask"])
            #expect(accountViolations.first?.description.contains("nmae is not a field of sfa.v1.Account") == true)
            let contactViolations = await violations {
                try await contacts.updateContact(UpdateContactRequest(contact: Contact(id: mina.id, version: 1, lastName: "Lee"), updateMask: ["last_name", "contact.emial"]))
            }
            #expect(contactViolations.count == 1)
            #expect(contactViolations.first?.description.contains("emial is not a field of sfa.v1.Contact") == true)
            // A real field the method does not let callers change is refused differently.
            let serverSet = await violations {
                try await contacts.updateContact(UpdateContactRequest(contact: Contact(id: mina.id, version: 1), updateMask: ["created_by_user_id"]))
            }
            #expect(serverSet.first?.description.contains("cannot be changed here") == true)

            #expect(try await accounts.getAccount(GetAccountRequest(id: acme.id)) == acme)
            #expect(try await contacts.getContact(GetContactRequest(id: mina.id)) == mina)
        }
    }

    @Test func aStaleVersionIsAbortedAndChangesNothing() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Versions")
            let accounts = stack.accounts(tenant.keys[.admin])
            let leads = stack.leads(tenant.keys[.admin])
            let acme = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Acme")))
            let renamed = try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1, name: "Acme KK"), updateMask: ["name"]))
            #expect(renamed.version == 2 && renamed.name == "Acme KK")
            #expect(await statusOf {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1, name: "Lost"), updateMask: ["name"]))
            } == .aborted)
            #expect(try await accounts.getAccount(GetAccountRequest(id: acme.id)) == renamed)

            let lead = try #require(try await leads.createLead(CreateLeadRequest(lead: Lead(lastName: "Sato", email: "sato@example.jp", companyName: "Sato KK", source: .website))).lead)
            let called = try await leads.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: 1, status: .contacted), updateMask: ["status"]))
            #expect(called.version == 2 && called.status == .contacted)
            #expect(await statusOf {
                try await leads.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: 1, phone: "+81 3 0000 0000"), updateMask: ["phone"]))
            } == .aborted)
            #expect(try await leads.getLead(GetLeadRequest(id: lead.id)) == called)
        }
    }

    @Test func anArchivedRecordIsReadOnly() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Archived")
            let accounts = stack.accounts(tenant.keys[.admin])
            let leads = stack.leads(tenant.keys[.admin])
            let acme = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Acme")))
            let archived = try await accounts.archiveAccount(ArchiveAccountRequest(id: acme.id, version: 1))
            #expect(archived.archived && archived.version == 2)
            // Archiving again changes nothing.
            #expect(try await accounts.archiveAccount(ArchiveAccountRequest(id: acme.id, version: 2)) == archived)
            #expect(await statusOf {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 2, name: "Back"), updateMask: ["name"]))
            } == .failedPrecondition)

            let lead = try #require(try await leads.createLead(CreateLeadRequest(lead: Lead(lastName: "Ito", phone: "+81 3 1111 1111", companyName: "Ito", source: .referral))).lead)
            let gone = try await leads.disqualifyLead(DisqualifyLeadRequest(id: lead.id, version: 1, reason: "no budget", target: .archived))
            #expect(gone.status == .archived)
            #expect(await statusOf {
                try await leads.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: gone.version, notes: "x"), updateMask: ["notes"]))
            } == .failedPrecondition)
            #expect(try await accounts.getAccount(GetAccountRequest(id: acme.id)) == archived)
            #expect(try await leads.getLead(GetLeadRequest(id: lead.id)) == gone)
        }
    }

    @Test func aPageTokenWorksOnlyWithTheListItCameFrom() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Pages")
            let accounts = stack.accounts(tenant.keys[.admin])
            let leads = stack.leads(tenant.keys[.admin])
            var accountIDs: [String] = []
            for index in 0..<5 {
                accountIDs.append(try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Company \(index)", industry: "Retail"))).id)
                _ = try await leads.createLead(
                    CreateLeadRequest(lead: Lead(lastName: "L\(index)", email: "l\(index)@example.com", companyName: "C\(index)", source: .website))
                )
            }
            let first = try await accounts.listAccounts(ListAccountsRequest(pageSize: 2, industry: "retail"))
            #expect(first.accounts.map(\.id) == Array(accountIDs.prefix(2)))
            #expect(!first.nextPageToken.isEmpty)
            // The same list with a page size of its own continues; another filter is refused.
            let second = try await accounts.listAccounts(ListAccountsRequest(pageSize: 3, pageToken: first.nextPageToken, industry: "retail"))
            #expect(second.accounts.map(\.id) == Array(accountIDs.suffix(3)))
            #expect(await statusOf {
                try await accounts.listAccounts(ListAccountsRequest(pageSize: 2, pageToken: first.nextPageToken, industry: "retail", includeArchived: true))
            } == .invalidArgument)

            let leadPage = try await leads.listLeads(ListLeadsRequest(pageSize: 2, sources: [.website]))
            #expect(leadPage.leads.count == 2)
            #expect(await statusOf {
                try await leads.listLeads(ListLeadsRequest(pageSize: 2, pageToken: leadPage.nextPageToken, sources: [.website, .referral]))
            } == .invalidArgument)
            #expect(await statusOf {
                try await leads.listLeads(ListLeadsRequest(pageSize: 2, pageToken: leadPage.nextPageToken, orderBy: "create_time_ms desc", sources: [.website]))
            } == .invalidArgument)
            // A token of one record type is not a token of another.
            #expect(await statusOf { try await accounts.listAccounts(ListAccountsRequest(pageToken: leadPage.nextPageToken)) } == .invalidArgument)
            let rest = try await leads.listLeads(ListLeadsRequest(pageSize: 10, pageToken: leadPage.nextPageToken, sources: [.website]))
            #expect(Set(rest.leads.map(\.id)).isDisjoint(with: leadPage.leads.map(\.id)) && rest.leads.count == 3)
        }
    }
}

/// Ownership through the generic create and update, for two owned record types.
@Suite struct RecordOwnershipTests {
    @Test func aRepCannotGiveItsAccountsOrContactsToSomeoneElse() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Owners")
            let rep = tenant.users[.rep]!
            let other = tenant.users[.insideSales]!
            let accounts = stack.accounts(tenant.keys[.rep])
            let contacts = stack.contacts(tenant.keys[.rep])
            let acme = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Acme")))
            let mina = try await contacts.createContact(CreateContactRequest(contact: Contact(lastName: "Park")))
            #expect(acme.ownerUserId == rep.id && acme.createdByUserId == rep.id)
            #expect(mina.ownerUserId == rep.id && mina.createdByUserId == rep.id)

            #expect(await statusOf {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1, ownerUserId: other.id), updateMask: ["owner_user_id"]))
            } == .invalidArgument)
            #expect(await statusOf {
                try await contacts.updateContact(UpdateContactRequest(contact: Contact(id: mina.id, version: 1, ownerUserId: other.id), updateMask: ["owner_user_id"]))
            } == .invalidArgument)
            #expect(await statusOf {
                try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Globex", ownerUserId: other.id)))
            } == .invalidArgument)
            #expect(try await accounts.getAccount(GetAccountRequest(id: acme.id)) == acme)
            #expect(try await contacts.getContact(GetContactRequest(id: mina.id)) == mina)

            // The manager of their team may hand the account over.
            let manager = stack.accounts(tenant.keys[.manager])
            let handed = try await manager.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1, ownerUserId: other.id), updateMask: ["owner_user_id"]))
            #expect(handed.ownerUserId == other.id && handed.createdByUserId == rep.id)
            // And then it is no longer the rep's to change.
            #expect(await statusOf {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 2, name: "Mine"), updateMask: ["name"]))
            } == .notFound)
        }
    }

    @Test func everyRecordTypeNamesOnlyRealFieldsAsCreatableAndUpdatable() {
        let types: [any TenantRecord.Type] = [
            Lead.self, Account.self, Contact.self, Team.self, Opportunity.self, Pipeline.self, Quote.self, Proposal.self, Activity.self,
            Consultation.self,
        ]
        for type in types {
            #expect(type.updatable.isSubset(of: type.fieldNames), "\(type.protoName): \(type.updatable.subtracting(type.fieldNames))")
            #expect(type.creatable.isSubset(of: type.fieldNames), "\(type.protoName): \(type.creatable.subtracting(type.fieldNames))")
        }
    }
}

/// The machine-readable reasons of field violations, as docs/protocol.md §3.4 lists them.
@Suite struct ViolationReasonTests {
    @Test func eachKindOfBadInputNamesItsReason() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Reasons")
            let accounts = stack.accounts(tenant.keys[.admin])
            let leads = stack.leads(tenant.keys[.admin])
            func reasons(_ call: () async throws -> some Any) async -> [String: String] {
                do {
                    _ = try await call()
                } catch let error as RPCError {
                    expectReasons(error)
                    return Dictionary(error.details.fieldViolations.map { ($0.field, $0.reason) }, uniquingKeysWith: { first, _ in first })
                } catch {}
                Issue.record("the call did not fail with an RPCError")
                return [:]
            }
            let created = await reasons {
                try await leads.createLead(CreateLeadRequest(lead: Lead(
                    firstName: String(repeating: "x", count: 101), email: "not-an-email", companyName: "", source: .unrecognized(99), customFields: [:]
                )))
            }
            #expect(created["lead.first_name"] == "TOO_LONG")
            #expect(created["lead.last_name"] == "REQUIRED")
            #expect(created["lead.email"] == "INVALID_FORMAT")
            #expect(created["lead.company_name"] == "REQUIRED")
            #expect(created["lead.source"] == "UNKNOWN_VALUE")

            let acme = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Acme")))
            let masked = await reasons {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1), updateMask: ["nmae"]))
            }
            #expect(masked["update_mask"] == "UNKNOWN_FIELD")
            let serverSet = await reasons {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1), updateMask: ["created_by_user_id"]))
            }
            #expect(serverSet["update_mask"] == "NOT_ALLOWED")
            let ownParent = await reasons {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1, parentAccountId: acme.id), updateMask: ["parent_account_id"]))
            }
            #expect(ownParent["account.parent_account_id"] == "INCONSISTENT")
            let tooMany = await reasons { try await leads.listLeads(ListLeadsRequest(statuses: Array(repeating: .open, count: 51))) }
            #expect(tooMany["statuses"] == "TOO_MANY")
            let order = await reasons { try await leads.listLeads(ListLeadsRequest(orderBy: "name")) }
            #expect(order["order_by"] == "UNKNOWN_VALUE")
            let negative = await reasons { try await accounts.listAccounts(ListAccountsRequest(pageSize: -1)) }
            #expect(negative["page_size"] == "OUT_OF_RANGE")
            let settings = stack.settings(tenant.keys[.admin])
            let currency = await reasons {
                try await settings.updateTenantSettings(UpdateTenantSettingsRequest(settings: TenantSettings(defaultCurrencyCode: "yen"), updateMask: ["default_currency_code"]))
            }
            #expect(currency["settings.default_currency_code"] == "INVALID_FORMAT")
            let admin = stack.admin(tenant.keys[.admin])
            let roleless = await reasons { try await admin.createUser(CreateUserRequest(user: User(displayName: "No Role", email: "norole@reasons.example"))) }
            #expect(roleless["user.role"] == "UNKNOWN_VALUE")
            let operatorRole = await reasons {
                try await admin.createUser(CreateUserRequest(user: User(displayName: "Op", email: "op@reasons.example", role: .operator)))
            }
            #expect(operatorRole["user.role"] == "NOT_ALLOWED")
        }
    }
}

/// What the protos promise about lists holds.
@Suite struct ListContractTests {
    /// The `order_by` values the list requests' comments name: each is accepted and
    /// orders as it says; anything else is refused.
    @Test func everyOrderTheProtosNameIsAcceptedAndNothingElse() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Orders")
            let accounts = stack.accounts(tenant.keys[.admin])
            let contacts = stack.contacts(tenant.keys[.admin])
            let leads = stack.leads(tenant.keys[.admin])
            let first = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "First")))
            let second = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Second")))
            for orderBy in ["", "create_time_ms", "create_time_ms desc"] {
                let expected = orderBy.hasSuffix("desc") ? [second.id, first.id] : [first.id, second.id]
                #expect(try await accounts.listAccounts(ListAccountsRequest(orderBy: orderBy)).accounts.map(\.id) == expected)
                _ = try await leads.listLeads(ListLeadsRequest(orderBy: orderBy))
                _ = try await contacts.listContacts(ListContactsRequest(orderBy: orderBy))
                _ = try await accounts.listAccountContacts(ListAccountContactsRequest(accountId: first.id, orderBy: orderBy))
            }
            let audit = AuditServiceClient(stack.client(tenant.keys[.admin]))
            for orderBy in ["", "create_time_ms"] {
                _ = try await audit.listAuditEvents(ListAuditEventsRequest(orderBy: orderBy))
            }
            #expect(await statusOf { try await audit.listAuditEvents(ListAuditEventsRequest(orderBy: "event_time_ms desc")) } == .invalidArgument)
            let activities = stack.activities(tenant.keys[.admin])
            let consultations = stack.consultations(tenant.keys[.admin])
            let reports = stack.dailyReports(tenant.keys[.admin])
            for orderBy in ["", "create_time_ms", "create_time_ms desc"] {
                _ = try await activities.listActivities(ListActivitiesRequest(orderBy: orderBy))
                _ = try await consultations.listConsultations(ListConsultationsRequest(orderBy: orderBy))
                _ = try await reports.listDailyReports(ListDailyReportsRequest(orderBy: orderBy))
            }
            for direction in ["", " asc", " desc"] {
                _ = try await activities.listActivities(ListActivitiesRequest(orderBy: "activity_time_ms" + direction))
                _ = try await consultations.listConsultations(ListConsultationsRequest(orderBy: "start_time_ms" + direction))
                _ = try await reports.listDailyReports(ListDailyReportsRequest(orderBy: "report_date" + direction))
            }
            #expect(await statusOf { try await activities.listActivities(ListActivitiesRequest(orderBy: "start_time_ms")) } == .invalidArgument)
            #expect(await statusOf { try await consultations.listConsultations(ListConsultationsRequest(orderBy: "activity_time_ms")) } == .invalidArgument)
            #expect(await statusOf { try await reports.listDailyReports(ListDailyReportsRequest(orderBy: "submit_time_ms")) } == .invalidArgument)
            for orderBy in ["name asc", "update_time_ms desc", "last_name asc"] {
                #expect(await statusOf { try await accounts.listAccounts(ListAccountsRequest(orderBy: orderBy)) } == .invalidArgument)
                #expect(await statusOf { try await leads.listLeads(ListLeadsRequest(orderBy: orderBy)) } == .invalidArgument)
                #expect(await statusOf { try await contacts.listContacts(ListContactsRequest(orderBy: orderBy)) } == .invalidArgument)
            }
        }
    }
}
