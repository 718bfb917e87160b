import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.AccountService`: companies. Archived, never deleted: their contacts,
/// opportunities and the leads converted into them keep their links.
public struct AccountService: AccountServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    public func createAccount(_ request: CreateAccountRequest, context: ServerContext) async throws -> Account {
        let access = try await store.access(context)
        return try await store.create(try Account.proposed(request.account), access: access, context: context, request: request) { db, account in
            try Self.checkLinks(db, account)
        }
    }

    /// Reads answer with the stored records' bytes (the server sends them without
    /// decoding); the typed functions decode the same answers.
    public var methodHandlers: [RPCMethodHandler] {
        typedMethodHandlers.replacing([
            RPCMethodHandler(method: AccountServiceMethods.getAccount) { (request: GetAccountRequest, context) in
                try await self.encodedAccount(request, context: context)
            },
            RPCMethodHandler(method: AccountServiceMethods.listAccounts) { (request: ListAccountsRequest, context) in
                try await self.encodedAccounts(request, context: context)
            },
            RPCMethodHandler(method: AccountServiceMethods.listAccountContacts) { (request: ListAccountContactsRequest, context) in
                try await self.encodedAccountContacts(request, context: context)
            },
        ])
    }

    public func getAccount(_ request: GetAccountRequest, context: ServerContext) async throws -> Account {
        try await encodedAccount(request, context: context).decoded()
    }

    func encodedAccount(_ request: GetAccountRequest, context: ServerContext) async throws -> EncodedMessage<Account> {
        try await store.getEncoded(Account.self, id: request.id, access: try await store.access(context))
    }

    public func updateAccount(_ request: UpdateAccountRequest, context: ServerContext) async throws -> Account {
        let mask = try UpdateMask<Account>(request.updateMask, updatable: Account.updatable, prefix: "account")
        return try await store.update(request.account ?? Account(), mask: mask, access: try await store.access(context), context: context, request: request) {
            db, before, after in
            if after.parentAccountId != before.parentAccountId { try Self.checkLinks(db, after) }
        }
    }

    public func listAccounts(_ request: ListAccountsRequest, context: ServerContext) async throws -> ListAccountsResponse {
        try await encodedAccounts(request, context: context).decoded()
    }

    func encodedAccounts(_ request: ListAccountsRequest, context: ServerContext) async throws -> EncodedMessage<ListAccountsResponse> {
        let access = try await store.access(context)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        validation.bounded(request.kinds.count, "kinds")
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy)
        var query = RecordQuery<Account>()
        query.search(request.query)
        query.anyOf("kind", request.kinds)
        query.equals("industry", RecordText.key(request.industry))
        query.equals("owner_user_id", request.ownerUserId)
        query.ownedBy(try await store.teamMembers(request.teamId, access: access))
        query.archived(included: request.includeArchived)
        query.within("update_time_ms", request.updateTime)
        let (accounts, next) = try await store.listEncoded(Account.self, query, page: page, access: access)
        return try store.listResponse(ListAccountsResponse.self, recordsField: "accounts", records: accounts, nextPageToken: next)
    }

    /// Archives an account; its contacts and opportunities keep their links.
    public func archiveAccount(_ request: ArchiveAccountRequest, context: ServerContext) async throws -> Account {
        try await store.archive(Account.self, id: request.id, version: request.version, access: try await store.access(context), context: context, request: request)
    }

    /// The contacts of an account the caller may see (the account decides visibility).
    public func listAccountContacts(_ request: ListAccountContactsRequest, context: ServerContext) async throws -> ListAccountContactsResponse {
        try await encodedAccountContacts(request, context: context).decoded()
    }

    func encodedAccountContacts(_ request: ListAccountContactsRequest, context: ServerContext) async throws -> EncodedMessage<ListAccountContactsResponse> {
        let access = try await store.access(context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: request.orderBy)
        _ = try await store.getEncoded(Account.self, id: request.accountId, access: access)
        var query = RecordQuery<Contact>()
        query.filter("account_id = ?", [request.accountId])
        query.archived(included: request.includeArchived)
        let (contacts, next) = try await store.listEncoded(Contact.self, query, page: page, access: access, withinScope: false)
        return try store.listResponse(ListAccountContactsResponse.self, recordsField: "contacts", records: contacts, nextPageToken: next)
    }

    private static func checkLinks(_ db: Database, _ account: Account) throws {
        if !account.parentAccountId.isEmpty {
            try AccountRecords.requireLinkable(db, id: account.parentAccountId, field: "account.parent_account_id")
        }
    }
}
