import SFAServices
import SFAStubs
import Testing

/// A key issued with the viewer role for a user of another role reads no more than
/// that user would, over the real server.
@Suite struct NarrowedKeyTests {
    @Test func aViewerKeyOfARepReadsOnlyWhatTheRepReads() async throws {
        try await withStack { stack in
            let world = try await Seeded.make(stack)
            let narrowed = try await world.viewerKey(of: .rep, stack)
            #expect(await world.readView(narrowed, stack) == world.readView(world.tenant.keys[.rep]!, stack))
            let leads = stack.leads(narrowed)
            #expect(try await leads.getLead(GetLeadRequest(id: world.repLead)).id == world.repLead)
            #expect(await statusOf { try await leads.getLead(GetLeadRequest(id: world.otherRepLead)) } == .notFound)
            #expect(try await leads.listLeads(ListLeadsRequest()).leads.map(\.id) == [world.repLead])
            #expect(
                await statusOf {
                    try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("n")))
                } == .permissionDenied
            )
            // A viewer user's key reads the whole tenant: the narrowing is what differs.
            #expect(await world.readView(narrowed, stack) != world.readView(world.tenant.keys[.viewer]!, stack))
        }
    }

    @Test func aViewerKeyOfAPartnerReadsOnlyTheLeadsThePartnerCreated() async throws {
        try await withStack { stack in
            let world = try await Seeded.make(stack)
            let narrowed = try await world.viewerKey(of: .partner, stack)
            #expect(await world.readView(narrowed, stack) == world.readView(world.tenant.keys[.partner]!, stack))
            let leads = stack.leads(narrowed)
            #expect(try await leads.listLeads(ListLeadsRequest()).leads.map(\.id) == [world.partnerLead])
            #expect(try await leads.getLead(GetLeadRequest(id: world.partnerLead)).id == world.partnerLead)
            for other in [world.repLead, world.otherRepLead, world.marketingLead] {
                #expect(await statusOf { try await leads.getLead(GetLeadRequest(id: other)) } == .notFound)
            }
            // Partners read no accounts or contacts, with a viewer key neither.
            #expect(
                await statusOf { try await stack.accounts(narrowed).listAccounts(ListAccountsRequest()) }
                    == .permissionDenied
            )
            #expect(
                await statusOf {
                    try await stack.contacts(narrowed).getContact(GetContactRequest(id: world.repContact))
                } == .permissionDenied
            )
        }
    }

    @Test func aViewerKeyOfAManagerReadsOnlyWhatTheManagerReads() async throws {
        try await withStack { stack in
            let world = try await Seeded.make(stack)
            let narrowed = try await world.viewerKey(of: .manager, stack)
            #expect(await world.readView(narrowed, stack) == world.readView(world.tenant.keys[.manager]!, stack))
            // The manager's team (t1) holds the rep, not the other rep (t2).
            #expect(
                await statusOf { try await stack.leads(narrowed).getLead(GetLeadRequest(id: world.otherRepLead)) }
                    == .notFound
            )
        }
    }
}

/// A tenant with records of two reps of different teams, a partner and marketing.
private struct Seeded {
    var tenant: TestTenant
    var repLead: String
    var otherRepLead: String
    var partnerLead: String
    var marketingLead: String
    var accounts: [String]
    var repContact: String
    var contacts: [String]

    /// The read methods of leads, accounts and contacts, which `readView` calls.
    static let readMethods = [
        LeadServiceMethods.getLead, LeadServiceMethods.listLeads, AccountServiceMethods.getAccount,
        AccountServiceMethods.listAccounts, AccountServiceMethods.listAccountContacts, ContactServiceMethods.getContact,
        ContactServiceMethods.listContacts,
    ].map(\.fullName)

    static func make(_ stack: TestStack) async throws -> Seeded {
        // Every method of these services a viewer may call is a read `readView` makes.
        let viewerMethods = (LeadServiceMethods.all + AccountServiceMethods.all + ContactServiceMethods.all)
            .map(\.fullName).filter { PermissionTable.scope(of: .viewer, for: $0) != nil }
        #expect(Set(viewerMethods) == Set(readMethods))

        let tenant = try await stack.makeTenant("Narrow")
        let admin = stack.admin(tenant.keys[.admin])
        let otherRep = try await admin.createUser(
            CreateUserRequest(
                user: User(displayName: "Other Rep", email: "other.rep@narrow.example", role: .rep, teamId: "t2")
            )
        )
        let otherKey = try await admin.issueApiKey(IssueApiKeyRequest(userId: otherRep.id)).secret
        let mine = try await records(of: tenant.keys[.rep]!, "mine", stack)
        let theirs = try await records(of: otherKey, "theirs", stack)
        let partnerLead = try #require(
            try await stack.leads(tenant.keys[.partner]).createLead(
                CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("partner"))
            ).lead
        )
        let marketingLead = try #require(
            try await stack.leads(tenant.keys[.marketing]).createLead(
                CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("marketing"))
            ).lead
        )
        return Seeded(
            tenant: tenant,
            repLead: mine.lead,
            otherRepLead: theirs.lead,
            partnerLead: partnerLead.id,
            marketingLead: marketingLead.id,
            accounts: [mine.account, theirs.account],
            repContact: mine.contact,
            contacts: [mine.contact, theirs.contact]
        )
    }

    /// A lead, an account and a contact of it, created with `key`.
    private static func records(of key: String, _ tag: String, _ stack: TestStack) async throws -> (
        lead: String, account: String, contact: String
    ) {
        let lead = try #require(
            try await stack.leads(key).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead(tag))).lead
        )
        let account = try await stack.accounts(key).createAccount(
            CreateAccountRequest(account: Account(name: "Account \(tag)"))
        )
        let contact = try await stack.contacts(key).createContact(
            CreateContactRequest(
                contact: Contact(
                    accountId: account.id,
                    firstName: "Contact",
                    lastName: tag,
                    email: "\(tag)@contact.example"
                )
            )
        )
        return (lead.id, account.id, contact.id)
    }

    /// A new key with the viewer role for the tenant's user of `role`.
    func viewerKey(of role: Role, _ stack: TestStack) async throws -> String {
        let issued = try await stack.admin(tenant.keys[.admin]).issueApiKey(
            IssueApiKeyRequest(userId: tenant.users[role]!.id, role: .viewer)
        )
        #expect(issued.apiKey?.role == .viewer)
        return issued.secret
    }

    /// What `key` gets from every read method of leads, accounts and contacts, asked
    /// about every record: per call, the ids returned or the status.
    func readView(_ key: String, _ stack: TestStack) async -> [String] {
        let leads = stack.leads(key)
        let accounts = stack.accounts(key)
        let contacts = stack.contacts(key)
        var view = [
            "ListLeads " + (await outcome { try await leads.listLeads(ListLeadsRequest()).leads.map(\.id) }),
            "ListAccounts "
                + (await outcome { try await accounts.listAccounts(ListAccountsRequest()).accounts.map(\.id) }),
            "ListContacts "
                + (await outcome { try await contacts.listContacts(ListContactsRequest()).contacts.map(\.id) }),
        ]
        for id in [repLead, otherRepLead, partnerLead, marketingLead] {
            view.append("GetLead \(id) " + (await outcome { [try await leads.getLead(GetLeadRequest(id: id)).id] }))
        }
        for id in self.accounts {
            view.append(
                "GetAccount \(id) " + (await outcome { [try await accounts.getAccount(GetAccountRequest(id: id)).id] })
            )
            view.append(
                "ListAccountContacts \(id) "
                    + (await outcome {
                        try await accounts.listAccountContacts(ListAccountContactsRequest(accountId: id)).contacts.map(
                            \.id
                        )
                    })
            )
        }
        for id in self.contacts {
            view.append(
                "GetContact \(id) " + (await outcome { [try await contacts.getContact(GetContactRequest(id: id)).id] })
            )
        }
        return view
    }

    private func outcome(_ call: () async throws -> [String]) async -> String {
        do {
            return try await call().sorted().joined(separator: ",")
        } catch let error as RPCError {
            expectReasons(error)
            return "\(error.code)"
        } catch {
            return "\(error)"
        }
    }
}
