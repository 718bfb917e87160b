import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.ContactService`: people, each in at most one account. Archived, never deleted.
public struct ContactService: ContactServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    public func createContact(_ request: CreateContactRequest, context: ServerContext) async throws -> Contact {
        let access = try await store.access(context)
        return try await store.create(try Contact.proposed(request.contact), access: access, context: context, request: request) { db, contact in
            if !contact.accountId.isEmpty { try AccountRecords.requireLinkable(db, id: contact.accountId, field: "contact.account_id") }
        }
    }

    /// Reads answer with the stored records' bytes (the server sends them without
    /// decoding); the typed functions decode the same answers.
    public var methodHandlers: [RPCMethodHandler] {
        typedMethodHandlers.replacing([
            RPCMethodHandler(method: ContactServiceMethods.getContact) { (request: GetContactRequest, context) in
                try await self.encodedContact(request, context: context)
            },
            RPCMethodHandler(method: ContactServiceMethods.listContacts) { (request: ListContactsRequest, context) in
                try await self.encodedContacts(request, context: context)
            },
        ])
    }

    public func getContact(_ request: GetContactRequest, context: ServerContext) async throws -> Contact {
        try await encodedContact(request, context: context).decoded()
    }

    func encodedContact(_ request: GetContactRequest, context: ServerContext) async throws -> EncodedMessage<Contact> {
        try await store.getEncoded(Contact.self, id: request.id, access: try await store.access(context))
    }

    public func updateContact(_ request: UpdateContactRequest, context: ServerContext) async throws -> Contact {
        let mask = try UpdateMask<Contact>(request.updateMask, updatable: Contact.updatable, prefix: "contact")
        return try await store.update(request.contact ?? Contact(), mask: mask, access: try await store.access(context), context: context, request: request)
    }

    public func listContacts(_ request: ListContactsRequest, context: ServerContext) async throws -> ListContactsResponse {
        try await encodedContacts(request, context: context).decoded()
    }

    func encodedContacts(_ request: ListContactsRequest, context: ServerContext) async throws -> EncodedMessage<ListContactsResponse> {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy)
        var query = RecordQuery<Contact>()
        query.search(request.query)
        query.equals("account_id", request.accountId)
        if request.withoutAccount { query.filter("account_id IS NULL") }
        query.equals("owner_user_id", request.ownerUserId)
        query.ownedBy(try await store.teamMembers(request.teamId, access: access))
        query.archived(included: request.includeArchived)
        query.within("update_time_ms", request.updateTime)
        let (contacts, next) = try await store.listEncoded(Contact.self, query, page: page, access: access)
        return try store.listResponse(ListContactsResponse.self, recordsField: "contacts", records: contacts, nextPageToken: next)
    }

    /// Moves a contact to another account, or out of any account (empty `account_id`).
    public func moveContact(_ request: MoveContactRequest, context: ServerContext) async throws -> Contact {
        try await store.modify(Contact.self, id: request.id, version: request.version, action: .update, access: try await store.access(context), context: context, request: request) {
            db, _, contact in
            if !request.accountId.isEmpty { try AccountRecords.requireLinkable(db, id: request.accountId, field: "account_id") }
            contact.accountId = request.accountId
        }
    }

    public func archiveContact(_ request: ArchiveContactRequest, context: ServerContext) async throws -> Contact {
        try await store.archive(Contact.self, id: request.id, version: request.version, access: try await store.access(context), context: context, request: request)
    }
}
