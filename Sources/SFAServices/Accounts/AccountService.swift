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
        var account = request.account ?? Account()
        var validation = Validation()
        AccountRecords.validate(account, fields: AccountRecords.updatable, into: &validation)
        try validation.throwIfInvalid()
        account.ownerUserId = try await store.owner(account.ownerUserId, access: access, field: "account.owner_user_id")
        let now = nowMs()
        account.id = RecordID.make("acct")
        account.version = 1
        account.archived = false
        account.sourceLeadId = ""
        account.createdByUserId = access.principal.userID
        account.createTimeMs = now
        account.updateTimeMs = now
        let created = account
        return try await store.write(access, context: context, request: request) { db, trail in
            if !created.parentAccountId.isEmpty {
                try AccountRecords.requireLinkable(db, id: created.parentAccountId, field: "account.parent_account_id")
            }
            try RecordRows.insert(db, table: AccountRecords.table, columns: AccountRecords.columns(created))
            trail.record(.account, created.id, .create, version: 1, changes: [AuditLog.change("name", before: nil, after: created.name)])
            return created
        }
    }

    public func getAccount(_ request: GetAccountRequest, context: ServerContext) async throws -> Account {
        let access = try await store.access(context)
        return try await store.read(access) { db in try AccountRecords.fetch(db, id: request.id, access: access) }
    }

    public func updateAccount(_ request: UpdateAccountRequest, context: ServerContext) async throws -> Account {
        let access = try await store.access(context)
        let changes = request.account ?? Account()
        let mask = try UpdateMask(request.updateMask, updatable: AccountRecords.updatable, prefix: "account")
        var validation = Validation()
        AccountRecords.validate(changes, fields: mask.fields, into: &validation)
        validation.check(changes.parentAccountId != changes.id || !mask.contains("parent_account_id"), "account.parent_account_id", "an account cannot be its own parent")
        try validation.throwIfInvalid()
        var newOwner = ""
        if mask.contains("owner_user_id") {
            newOwner = try await store.owner(changes.ownerUserId, access: access, field: "account.owner_user_id")
        }
        let owner = newOwner
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try AccountRecords.fetch(db, id: changes.id, access: access)
            guard !before.archived else {
                throw StorageError.failedPrecondition(reason: "ARCHIVED", message: "the account is archived")
            }
            var after = before
            if mask.contains("name") { after.name = changes.name }
            if mask.contains("kind") { after.kind = changes.kind }
            if mask.contains("website") { after.website = changes.website }
            if mask.contains("phone") { after.phone = changes.phone }
            if mask.contains("industry") { after.industry = changes.industry }
            if mask.contains("employee_count") { after.employeeCount = changes.employeeCount }
            if mask.contains("annual_revenue") { after.annualRevenue = changes.annualRevenue }
            if mask.contains("billing_address") { after.billingAddress = changes.billingAddress }
            if mask.contains("parent_account_id") {
                if !changes.parentAccountId.isEmpty {
                    try AccountRecords.requireLinkable(db, id: changes.parentAccountId, field: "account.parent_account_id")
                }
                after.parentAccountId = changes.parentAccountId
            }
            if mask.contains("notes") { after.notes = changes.notes }
            if mask.contains("custom_fields") { after.customFields = changes.customFields }
            if mask.contains("owner_user_id") { after.ownerUserId = owner }
            after.version = before.version + 1
            after.updateTimeMs = nowMs()
            try RecordRows.update(db, table: AccountRecords.table, id: after.id, expectedVersion: changes.version, columns: AccountRecords.columns(after))
            trail.record(.account, after.id, .update, version: after.version, changes: FieldDiff.changes(before, after, fields: mask.fields))
            return after
        }
    }

    public func listAccounts(_ request: ListAccountsRequest, context: ServerContext) async throws -> ListAccountsResponse {
        let access = try await store.access(context)
        let order = try ListOrder(request.orderBy)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        validation.bounded(request.kinds.count, "kinds")
        try validation.throwIfInvalid()
        let filter = "accounts|\(request.orderBy)|\(request.query)|\(request.kinds.map(\.rawValue))|\(request.industry)|\(request.ownerUserId)|\(request.teamId)|\(request.includeArchived)|\(request.updateTime.map { "\($0.startTimeMs)-\($0.endTimeMs)" } ?? "")"
        let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken, filter: filter)
        let members = request.teamId.isEmpty ? nil : try await store.controlPlane.teamMemberIDs(tenantID: access.tenantID, teamID: request.teamId)
        let accounts = try await store.read(access) { db in
            var query = Table(AccountRecords.table).all().filter(access.condition)
            if !request.query.isEmpty { query = query.filter(Column("search").like(RecordText.likePattern(request.query), escape: "\\")) }
            if !request.kinds.isEmpty { query = query.filter(request.kinds.map(\.rawValue).contains(Column("kind"))) }
            if !request.industry.isEmpty { query = query.filter(Column("industry") == RecordText.key(request.industry)) }
            if !request.ownerUserId.isEmpty { query = query.filter(Column("owner_user_id") == request.ownerUserId) }
            if let members { query = query.filter(members.contains(Column("owner_user_id"))) }
            if !request.includeArchived { query = query.filter(Column("archived") == false) }
            if let range = request.updateTime { query = query.filter(range: range, column: "update_time_ms") }
            return try RecordRows.fetchAll(db, Account.self, query.page(page, order: order))
        }
        return ListAccountsResponse(accounts: accounts, nextPageToken: page.nextToken(lastID: accounts.last?.id, count: accounts.count, filter: filter))
    }

    /// Archives an account; its contacts and opportunities keep their links.
    public func archiveAccount(_ request: ArchiveAccountRequest, context: ServerContext) async throws -> Account {
        try await store.archive(
            Account.self,
            id: request.id,
            version: request.version,
            kind: .account,
            table: AccountRecords.table,
            columns: AccountRecords.columns,
            access: try await store.access(context),
            context: context,
            request: request
        )
    }

    public func listAccountContacts(_ request: ListAccountContactsRequest, context: ServerContext) async throws -> ListAccountContactsResponse {
        let access = try await store.access(context)
        let order = try ListOrder(request.orderBy)
        let filter = "account-contacts|\(request.accountId)|\(request.orderBy)|\(request.includeArchived)"
        let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken, filter: filter)
        let contacts = try await store.read(access) { db in
            _ = try AccountRecords.fetch(db, id: request.accountId, access: access)
            var query = Table(ContactRecords.table).all().filter(Column("account_id") == request.accountId)
            if !request.includeArchived { query = query.filter(Column("archived") == false) }
            return try RecordRows.fetchAll(db, Contact.self, query.page(page, order: order))
        }
        return ListAccountContactsResponse(contacts: contacts, nextPageToken: page.nextToken(lastID: contacts.last?.id, count: contacts.count, filter: filter))
    }
}
