import SFAStorage
import SFAStubs
import Testing

/// Accounts and contacts over the real server and client.
@Suite struct AccountContactTests {
    @Test func contactsMoveBetweenAccountsAndArchivingKeepsLinks() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Accounts")
            let accounts = stack.accounts(tenant.keys[.manager])
            let contacts = stack.contacts(tenant.keys[.manager])
            let acme = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Acme KK", kind: .prospect, industry: "Manufacturing")))
            let globex = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Globex")))
            #expect(acme.ownerUserId == tenant.users[.manager]!.id)
            let person = try await contacts.createContact(
                CreateContactRequest(contact: Contact(accountId: acme.id, firstName: "Mina", lastName: "Park", email: "mina@acme.example"))
            )
            #expect(try await accounts.listAccountContacts(ListAccountContactsRequest(accountId: acme.id)).contacts.map(\.id) == [person.id])

            let moved = try await contacts.moveContact(MoveContactRequest(id: person.id, version: person.version, accountId: globex.id))
            #expect(moved.accountId == globex.id)
            #expect(try await accounts.listAccountContacts(ListAccountContactsRequest(accountId: acme.id)).contacts.isEmpty)
            let detached = try await contacts.moveContact(MoveContactRequest(id: moved.id, version: moved.version))
            #expect(detached.accountId.isEmpty)
            #expect(try await contacts.listContacts(ListContactsRequest(withoutAccount: true)).contacts.map(\.id) == [person.id])
            let back = try await contacts.moveContact(MoveContactRequest(id: detached.id, version: detached.version, accountId: globex.id))

            // Archiving keeps the contact linked; archived accounts take no new links.
            let archived = try await accounts.archiveAccount(ArchiveAccountRequest(id: globex.id, version: globex.version))
            #expect(archived.archived)
            #expect(try await contacts.getContact(GetContactRequest(id: back.id)).accountId == globex.id)
            #expect(try await accounts.listAccounts(ListAccountsRequest()).accounts.map(\.id) == [acme.id])
            #expect(try await accounts.listAccounts(ListAccountsRequest(includeArchived: true)).accounts.count == 2)
            #expect(await statusOf {
                try await contacts.createContact(CreateContactRequest(contact: Contact(accountId: globex.id, lastName: "Late")))
            } == .invalidArgument)
            #expect(await statusOf {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: globex.id, version: archived.version, name: "x"), updateMask: ["name"]))
            } == .failedPrecondition)
        }
    }

    @Test func updatesNeedAMaskAndTheCurrentVersionAndAreAudited() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Updates")
            let accounts = stack.accounts(tenant.keys[.admin])
            let acme = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Acme")))
            #expect(await statusOf { try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1, name: "A"))) } == .invalidArgument)
            #expect(await statusOf {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1), updateMask: ["source_lead_id"]))
            } == .invalidArgument)
            let renamed = try await accounts.updateAccount(
                UpdateAccountRequest(account: Account(id: acme.id, version: 1, name: "Acme Holdings", phone: "+1 555 0100"), updateMask: ["name", "phone"])
            )
            #expect(renamed.name == "Acme Holdings" && renamed.version == 2)
            #expect(await statusOf {
                try await accounts.updateAccount(UpdateAccountRequest(account: Account(id: acme.id, version: 1, name: "Old"), updateMask: ["account.name"]))
            } == .aborted)
            let events = try await stack.tenants.withDatabase(tenant.tenant.id) { queue in
                try await queue.read { db in
                    try AuditLog.list(db, page: try PageRequest(pageSize: 100, pageToken: "", filter: ""), recordKind: .account, recordID: acme.id, actorUserID: "", fromTimeMs: 0, toTimeMs: 0)
                }
            }
            #expect(events.map(\.action) == [.create, .update])
            let update = events.last!
            #expect(update.recordVersion == 2)
            #expect(update.actorUserId == tenant.users[.admin]!.id)
            #expect(update.changes.map(\.field) == ["name", "phone"])
            #expect(update.changes.first?.beforeJson == "\"Acme\"")
            #expect(update.changes.first?.afterJson == "\"Acme Holdings\"")
            // Tenant admins read the log through the API; others may not.
            let audit = AuditServiceClient(stack.client(tenant.keys[.admin]))
            let listed = try await audit.listAuditEvents(ListAuditEventsRequest(recordKind: .account, recordId: acme.id))
            #expect(listed.events == events)
            let updates = try await audit.listAuditEvents(ListAuditEventsRequest(actions: [.update]))
            #expect(updates.events.map(\.recordId) == [acme.id])
            #expect(await statusOf {
                try await AuditServiceClient(stack.client(tenant.keys[.manager])).listAuditEvents(ListAuditEventsRequest())
            } == .permissionDenied)
        }
    }

    @Test func searchFindsAccountsAndContactsAndEscapesWildcards() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Search")
            let accounts = stack.accounts(tenant.keys[.admin])
            _ = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "Tanaka Precision")))
            _ = try await accounts.createAccount(CreateAccountRequest(account: Account(name: "100% Widgets")))
            #expect(try await accounts.listAccounts(ListAccountsRequest(query: "precision")).accounts.map(\.name) == ["Tanaka Precision"])
            #expect(try await accounts.listAccounts(ListAccountsRequest(query: "%")).accounts.map(\.name) == ["100% Widgets"])
            #expect(await statusOf { try await accounts.listAccounts(ListAccountsRequest(orderBy: "name")) } == .invalidArgument)
        }
    }
}
