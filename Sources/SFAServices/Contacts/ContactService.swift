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
        var contact = request.contact ?? Contact()
        var validation = Validation()
        ContactRecords.validate(contact, fields: ContactRecords.updatable, into: &validation)
        try validation.throwIfInvalid()
        contact.ownerUserId = try await store.owner(contact.ownerUserId, access: access, field: "contact.owner_user_id")
        let now = nowMs()
        contact.id = RecordID.make("cont")
        contact.version = 1
        contact.archived = false
        contact.sourceLeadId = ""
        contact.createdByUserId = access.principal.userID
        contact.createTimeMs = now
        contact.updateTimeMs = now
        let created = contact
        return try await store.write(access, context: context, request: request) { db, trail in
            if !created.accountId.isEmpty { try AccountRecords.requireLinkable(db, id: created.accountId, field: "contact.account_id") }
            try RecordRows.insert(db, table: ContactRecords.table, columns: ContactRecords.columns(created))
            trail.record(.contact, created.id, .create, version: 1, changes: [
                AuditLog.change("name", before: nil, after: created.firstName + " " + created.lastName),
                AuditLog.change("account_id", before: nil, after: created.accountId),
            ])
            return created
        }
    }

    public func getContact(_ request: GetContactRequest, context: ServerContext) async throws -> Contact {
        let access = try await store.access(context)
        return try await store.read(access) { db in try ContactRecords.fetch(db, id: request.id, access: access) }
    }

    public func updateContact(_ request: UpdateContactRequest, context: ServerContext) async throws -> Contact {
        let access = try await store.access(context)
        let changes = request.contact ?? Contact()
        let mask = try UpdateMask(request.updateMask, updatable: ContactRecords.updatable, prefix: "contact")
        var validation = Validation()
        ContactRecords.validate(changes, fields: mask.fields, into: &validation)
        try validation.throwIfInvalid()
        var newOwner = ""
        if mask.contains("owner_user_id") {
            newOwner = try await store.owner(changes.ownerUserId, access: access, field: "contact.owner_user_id")
        }
        let owner = newOwner
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try ContactRecords.fetch(db, id: changes.id, access: access)
            guard !before.archived else { throw StorageError.failedPrecondition(reason: "ARCHIVED", message: "the contact is archived") }
            var after = before
            if mask.contains("first_name") { after.firstName = changes.firstName }
            if mask.contains("last_name") { after.lastName = changes.lastName }
            if mask.contains("email") { after.email = changes.email }
            if mask.contains("phone") { after.phone = changes.phone }
            if mask.contains("mobile_phone") { after.mobilePhone = changes.mobilePhone }
            if mask.contains("job_title") { after.jobTitle = changes.jobTitle }
            if mask.contains("department") { after.department = changes.department }
            if mask.contains("mailing_address") { after.mailingAddress = changes.mailingAddress }
            if mask.contains("email_opt_out") { after.emailOptOut = changes.emailOptOut }
            if mask.contains("notes") { after.notes = changes.notes }
            if mask.contains("custom_fields") { after.customFields = changes.customFields }
            if mask.contains("owner_user_id") { after.ownerUserId = owner }
            after.version = before.version + 1
            after.updateTimeMs = nowMs()
            try RecordRows.update(db, table: ContactRecords.table, id: after.id, expectedVersion: changes.version, columns: ContactRecords.columns(after))
            trail.record(.contact, after.id, .update, version: after.version, changes: FieldDiff.changes(before, after, fields: mask.fields))
            return after
        }
    }

    public func listContacts(_ request: ListContactsRequest, context: ServerContext) async throws -> ListContactsResponse {
        let access = try await store.access(context)
        let order = try ListOrder(request.orderBy)
        var validation = Validation()
        validation.text(request.query, "query", required: false, maximumLength: 200)
        try validation.throwIfInvalid()
        let filter = "contacts|\(request.orderBy)|\(request.query)|\(request.accountId)|\(request.withoutAccount)|\(request.ownerUserId)|\(request.teamId)|\(request.includeArchived)|\(request.updateTime.map { "\($0.startTimeMs)-\($0.endTimeMs)" } ?? "")"
        let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken, filter: filter)
        let members = request.teamId.isEmpty ? nil : try await store.controlPlane.teamMemberIDs(tenantID: access.tenantID, teamID: request.teamId)
        let contacts = try await store.read(access) { db in
            var query = Table(ContactRecords.table).all().filter(access.condition)
            if !request.query.isEmpty { query = query.filter(Column("search").like(RecordText.likePattern(request.query), escape: "\\")) }
            if !request.accountId.isEmpty { query = query.filter(Column("account_id") == request.accountId) }
            if request.withoutAccount { query = query.filter(Column("account_id") == nil) }
            if !request.ownerUserId.isEmpty { query = query.filter(Column("owner_user_id") == request.ownerUserId) }
            if let members { query = query.filter(members.contains(Column("owner_user_id"))) }
            if !request.includeArchived { query = query.filter(Column("archived") == false) }
            if let range = request.updateTime { query = query.filter(range: range, column: "update_time_ms") }
            return try RecordRows.fetchAll(db, Contact.self, query.page(page, order: order))
        }
        return ListContactsResponse(contacts: contacts, nextPageToken: page.nextToken(lastID: contacts.last?.id, count: contacts.count, filter: filter))
    }

    /// Moves a contact to another account, or out of any account (empty `account_id`).
    public func moveContact(_ request: MoveContactRequest, context: ServerContext) async throws -> Contact {
        let access = try await store.access(context)
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try ContactRecords.fetch(db, id: request.id, access: access)
            guard !before.archived else { throw StorageError.failedPrecondition(reason: "ARCHIVED", message: "the contact is archived") }
            if !request.accountId.isEmpty { try AccountRecords.requireLinkable(db, id: request.accountId, field: "account_id") }
            var after = before
            after.accountId = request.accountId
            after.version += 1
            after.updateTimeMs = nowMs()
            try RecordRows.update(db, table: ContactRecords.table, id: after.id, expectedVersion: request.version, columns: ContactRecords.columns(after))
            trail.record(.contact, after.id, .update, version: after.version, changes: [
                AuditLog.change("account_id", before: before.accountId, after: after.accountId)
            ])
            return after
        }
    }

    public func archiveContact(_ request: ArchiveContactRequest, context: ServerContext) async throws -> Contact {
        try await store.archive(
            Contact.self,
            id: request.id,
            version: request.version,
            kind: .contact,
            table: ContactRecords.table,
            columns: ContactRecords.columns,
            access: try await store.access(context),
            context: context,
            request: request
        )
    }
}
