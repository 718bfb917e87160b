import GRDB
import SFAStorage
import SFAStubs
import Testing

/// A lead from first touch to conversion, over the real server and client.
@Suite struct LeadLifecycleTests {
    static func sampleLead(_ suffix: String = "1") -> Lead {
        Lead(
            firstName: "Haruka",
            lastName: "Tanaka \(suffix)",
            email: "haruka\(suffix)@tanaka.example",
            phone: "+81 3-1234-5678",
            companyName: "Tanaka Precision \(suffix) K.K.",
            jobTitle: "Head of Procurement",
            website: "https://tanaka.example",
            source: .webinar
        )
    }

    @Test func openToContactedToMqlToSqlToConverted() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Lifecycle")
            let marketing = stack.leads(tenant.keys[.marketing])
            let insideSales = stack.leads(tenant.keys[.insideSales])

            let created = try await marketing.createLead(CreateLeadRequest(lead: Self.sampleLead()))
            #expect(created.created)
            var lead = try #require(created.lead)
            #expect(lead.status == .open)
            #expect(lead.lifecycle == .unclassified)
            #expect(lead.ownerUserId == tenant.users[.marketing]!.id)

            lead = try await marketing.updateLead(
                UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, status: .contacted), updateMask: ["status"])
            )
            #expect(lead.status == .contacted)
            lead = try await marketing.markLeadMql(MarkLeadMqlRequest(id: lead.id, version: lead.version))
            #expect(lead.lifecycle == .mql)
            #expect(lead.mqlTimeMs > 0)
            lead = try await insideSales.qualifyLead(
                QualifyLeadRequest(id: lead.id, version: lead.version, needIdentified: true, authorityConfirmed: true, budgetConfirmed: false, notes: "budget in April")
            )
            #expect(lead.lifecycle == .sql)
            #expect(lead.status == .qualified)
            #expect(lead.qualification?.decidedByUserId == tenant.users[.insideSales]!.id)
            #expect(lead.qualification?.budgetConfirmed == false)

            let converted = try await insideSales.convertLead(
                ConvertLeadRequest(
                    id: lead.id,
                    version: lead.version,
                    opportunity: ConvertLeadOpportunity(
                        name: "Line 3 retrofit",
                        amount: Money(currencyCode: "JPY", amountMinor: 4_000_000),
                        expectedCloseDate: "2026-12-31"
                    )
                )
            )
            #expect(converted.accountCreated && converted.contactCreated)
            #expect(!converted.opportunityId.isEmpty)
            #expect(converted.lead?.status == .converted)
            #expect(converted.lead?.convertedAccountId == converted.accountId)
            #expect(converted.lead?.convertedContactId == converted.contactId)
            #expect(converted.lead?.convertedOpportunityId == converted.opportunityId)

            let account = try await stack.accounts(tenant.keys[.admin]).getAccount(GetAccountRequest(id: converted.accountId))
            #expect(account.name == "Tanaka Precision 1 K.K.")
            #expect(account.sourceLeadId == lead.id)
            let contacts = try await stack.accounts(tenant.keys[.admin]).listAccountContacts(ListAccountContactsRequest(accountId: account.id))
            #expect(contacts.contacts.map(\.id) == [converted.contactId])
            #expect(contacts.contacts.first?.email == "haruka1@tanaka.example")

            // Converting twice is refused, and a converted lead is read-only.
            let again = await statusOf {
                try await insideSales.convertLead(ConvertLeadRequest(id: lead.id, version: converted.lead!.version))
            }
            #expect(again == .failedPrecondition)
            #expect(await statusOf {
                try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: converted.lead!.version, notes: "x"), updateMask: ["notes"]))
            } == .failedPrecondition)
        }
    }

    @Test func aConversionThatFailsHalfWayLeavesNothingBehind() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Atomic")
            let insideSales = stack.leads(tenant.keys[.insideSales])
            let lead = try #require(try await insideSales.createLead(CreateLeadRequest(lead: Self.sampleLead())).lead)
            // The account is created first, then the named contact turns out not to exist.
            let failure = await statusOf {
                try await insideSales.convertLead(
                    ConvertLeadRequest(id: lead.id, version: lead.version, existingContactId: "cont_01jd3k4m5n6p7q8r9s0t1v2w3x", opportunity: ConvertLeadOpportunity(name: "Deal"))
                )
            }
            #expect(failure == .invalidArgument)
            let (accounts, contacts, opportunities, events) = try await stack.tenants.withDatabase(tenant.tenant.id) { queue in
                try await queue.read { db in
                    (
                        try Int.fetchOne(db, sql: "SELECT count(*) FROM account")!,
                        try Int.fetchOne(db, sql: "SELECT count(*) FROM contact")!,
                        try Int.fetchOne(db, sql: "SELECT count(*) FROM opportunity")!,
                        try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event WHERE record_kind = ?", arguments: [RecordKind.account.rawValue])!
                    )
                }
            }
            #expect([accounts, contacts, opportunities, events] == [0, 0, 0, 0])
            let unchanged = try await insideSales.getLead(GetLeadRequest(id: lead.id))
            #expect(unchanged == lead)
        }
    }

    @Test func disqualifiedLeadsGoToNurtureOrArchived() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Disqualify")
            let marketing = stack.leads(tenant.keys[.marketing])
            let first = try #require(try await marketing.createLead(CreateLeadRequest(lead: Self.sampleLead("a"))).lead)
            let second = try #require(try await marketing.createLead(CreateLeadRequest(lead: Self.sampleLead("b"))).lead)
            let nurtured = try await marketing.disqualifyLead(DisqualifyLeadRequest(id: first.id, version: first.version, reason: "no budget this year", target: .nurture))
            #expect(nurtured.status == .nurture)
            #expect(nurtured.disqualificationReason == "no budget this year")
            let archived = try await marketing.disqualifyLead(DisqualifyLeadRequest(id: second.id, version: second.version, reason: "competitor", target: .archived))
            #expect(archived.status == .archived)
            // A reason and a target are required; an archived lead is read-only.
            #expect(await statusOf {
                try await marketing.disqualifyLead(DisqualifyLeadRequest(id: nurtured.id, version: nurtured.version, target: .archived))
            } == .invalidArgument)
            #expect(await statusOf {
                try await marketing.markLeadMql(MarkLeadMqlRequest(id: archived.id, version: archived.version))
            } == .failedPrecondition)
            // A nurtured lead can come back as an MQL.
            let back = try await marketing.markLeadMql(MarkLeadMqlRequest(id: nurtured.id, version: nurtured.version))
            #expect(back.lifecycle == .mql && back.status == .open)
        }
    }

    @Test func aStaleVersionIsRefusedAndChangesNothing() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Stale")
            let marketing = stack.leads(tenant.keys[.marketing])
            let lead = try #require(try await marketing.createLead(CreateLeadRequest(lead: Self.sampleLead())).lead)
            let updated = try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, notes: "first"), updateMask: ["notes"]))
            do {
                _ = try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, notes: "second"), updateMask: ["notes"]))
                Issue.record("a stale update went through")
            } catch let error as RPCError {
                expectReasons(error)
                #expect(error.code == .aborted)
                #expect(error.details.reason == "STALE_VERSION")
            }
            #expect(try await marketing.getLead(GetLeadRequest(id: lead.id)) == updated)
        }
    }

    @Test func aRetriedCreateWithItsIdempotencyKeyReturnsTheSameLead() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Idempotent")
            let marketing = stack.leads(tenant.keys[.marketing])
            let options = CallOptions(idempotencyKey: "form-submission-42")
            let first = try await marketing.createLead(CreateLeadRequest(lead: Self.sampleLead()), options: options)
            let retry = try await marketing.createLead(CreateLeadRequest(lead: Self.sampleLead()), options: options)
            #expect(retry == first)
            #expect(try await marketing.listLeads(ListLeadsRequest()).leads.count == 1)
            // The same key with a different request is refused.
            #expect(await statusOf {
                try await marketing.createLead(CreateLeadRequest(lead: Self.sampleLead("other")), options: options)
            } == .failedPrecondition)
        }
    }

    @Test func duplicatesAreReportedNotSilentlyCreated() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Duplicates")
            let marketing = stack.leads(tenant.keys[.marketing])
            let original = try #require(try await marketing.createLead(CreateLeadRequest(lead: Self.sampleLead())).lead)
            var sameEmail = Self.sampleLead("x")
            sameEmail.email = "HARUKA1@tanaka.example"  // emails match case-insensitively
            let byEmail = try await marketing.createLead(CreateLeadRequest(lead: sameEmail))
            #expect(!byEmail.created)
            #expect(byEmail.duplicates.map(\.recordId) == [original.id])
            #expect(byEmail.duplicates.first?.matchKind == .email)
            var sameCompanyAndName = Self.sampleLead()
            sameCompanyAndName.email = "another@tanaka.example"
            sameCompanyAndName.companyName = "TANAKA PRECISION 1 k.k"
            let byName = try await marketing.createLead(CreateLeadRequest(lead: sameCompanyAndName))
            #expect(!byName.created)
            #expect(byName.duplicates.first?.matchKind == .companyAndName)
            let forced = try await marketing.createLead(CreateLeadRequest(lead: sameCompanyAndName, allowDuplicate: true))
            #expect(forced.created && !forced.duplicates.isEmpty)
        }
    }

    @Test func aVisibleDuplicateIsDescribedFromTheStoredLeadOrContact() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Duplicate details")
            let manager = tenant.keys[.manager]
            let original = try #require(try await stack.leads(manager).createLead(CreateLeadRequest(lead: Self.sampleLead("7"))).lead)
            let account = try await stack.accounts(manager).createAccount(CreateAccountRequest(account: Account(name: "Kato Works")))
            let contact = try await stack.contacts(manager).createContact(
                CreateContactRequest(contact: Contact(accountId: account.id, firstName: "Ren", lastName: "Kato", email: "ren@kato.example"))
            )

            var sameLead = Self.sampleLead("7")
            sameLead.phone = ""
            let leadMatch = try #require(try await stack.leads(manager).createLead(CreateLeadRequest(lead: sameLead)).duplicates.first)
            #expect(leadMatch.recordKind == .lead)
            #expect(leadMatch.recordId == original.id)
            #expect(leadMatch.ownerUserId == tenant.users[.manager]!.id)
            #expect(leadMatch.displayName == "Haruka Tanaka 7")
            #expect(leadMatch.email == "haruka7@tanaka.example")
            #expect(leadMatch.companyName == "Tanaka Precision 7 K.K.")

            let byContact = try await stack.leads(manager).createLead(
                CreateLeadRequest(lead: Lead(firstName: "R", lastName: "K", email: "REN@kato.example", companyName: "Other", source: .webinar))
            )
            #expect(!byContact.created)
            let contactMatch = try #require(byContact.duplicates.first)
            #expect(contactMatch.recordKind == .contact)
            #expect(contactMatch.recordId == contact.id)
            #expect(contactMatch.displayName == "Ren Kato")
            #expect(contactMatch.email == "ren@kato.example")

            // Owner and creator differ: the owner is reported, and the creator decides
            // what a partner sees (its own pushed lead, which has no owner yet).
            let admin = stack.leads(tenant.keys[.admin])
            let repID = tenant.users[.rep]!.id
            var ownedByRep = Self.sampleLead("8")
            ownedByRep.ownerUserId = repID
            let repLead = try #require(try await admin.createLead(CreateLeadRequest(lead: ownedByRep)).lead)
            let repMatch = try #require(try await admin.createLead(CreateLeadRequest(lead: Self.sampleLead("8"))).duplicates.first)
            #expect(repMatch.recordId == repLead.id)
            #expect(repMatch.ownerUserId == repID)
            let partner = stack.leads(tenant.keys[.partner])
            let pushed = try #require(try await partner.createLead(CreateLeadRequest(lead: Self.sampleLead("9"))).lead)
            let partnerMatch = try #require(try await partner.createLead(CreateLeadRequest(lead: Self.sampleLead("9"))).duplicates.first)
            #expect(partnerMatch.recordId == pushed.id)
            #expect(partnerMatch.ownerUserId == "")
        }
    }

    @Test func invalidLeadsListEveryViolation() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Invalid")
            let marketing = stack.leads(tenant.keys[.marketing])
            do {
                _ = try await marketing.createLead(CreateLeadRequest(lead: Lead(email: "not-an-email", phone: "12", companyName: "", source: .unspecified)))
                Issue.record("an invalid lead was created")
            } catch let error as RPCError {
                expectReasons(error)
                #expect(error.code == .invalidArgument)
                let fields = Set(error.details.fieldViolations.map(\.field))
                #expect(fields.isSuperset(of: ["lead.last_name", "lead.email", "lead.phone", "lead.company_name", "lead.source"]))
            }
            #expect(await statusOf { try await marketing.getLead(GetLeadRequest(id: "lead_nope")) } == .notFound)
        }
    }
}
