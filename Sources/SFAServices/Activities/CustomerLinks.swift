import GRDB
import SFAStorage
import SFAStubs

/// A record about work with a customer (an activity, a consultation): linked to a
/// lead, an account, its contacts and an opportunity, with our people attending.
protocol CustomerLinkedRecord: OwnedRecord {
    var leadId: String { get set }
    var accountId: String { get set }
    var opportunityId: String { get set }
    var contactIds: [String] { get set }
    var attendeeUserIds: [String] { get set }
}

extension CustomerLinkedRecord {
    /// The record's own checks of its links and attendees: ids, bounds, duplicates.
    func validateLinks(prefix: String, into validation: inout Validation) {
        validation.reference(leadId, prefix + "lead_id")
        validation.reference(accountId, prefix + "account_id")
        validation.reference(opportunityId, prefix + "opportunity_id")
        validation.check(contactIds.count <= 50, prefix + "contact_ids", .tooMany, "has more than 50 entries")
        validation.check(Set(contactIds).count == contactIds.count, prefix + "contact_ids", .duplicate, "names a contact twice")
        for (index, id) in contactIds.enumerated() { validation.reference(id, "\(prefix)contact_ids[\(index)]") }
        validation.check(attendeeUserIds.count <= 20, prefix + "attendee_user_ids", .tooMany, "has more than 20 entries")
        validation.check(Set(attendeeUserIds).count == attendeeUserIds.count, prefix + "attendee_user_ids", .duplicate, "names a user twice")
        validation.check(!attendeeUserIds.contains(ownerUserId), prefix + "attendee_user_ids", .inconsistent, "the owner attends anyway")
        for (index, id) in attendeeUserIds.enumerated() { validation.reference(id, "\(prefix)attendee_user_ids[\(index)]") }
    }

    /// The links as a JSON column value, for the lists' `json_each` filters.
    var linkColumns: [String: (any DatabaseValueConvertible)?] {
        [
            "lead_id": leadId, "account_id": accountId, "opportunity_id": opportunityId,
            "contact_ids": SQLJSON.array(contactIds), "attendee_user_ids": SQLJSON.array(attendeeUserIds),
        ]
    }
}

/// The rules that make a record's links agree, checked in its write transaction.
enum CustomerLinks {
    /// Checks the links of `record` when they are new or changed since `before`: every
    /// linked record exists and is not archived; the opportunity is on the account and
    /// the contacts belong to it. An empty account is taken from the opportunity, else
    /// from the contacts. Every problem is reported at once.
    static func settle<R: CustomerLinkedRecord>(_ db: Database, _ record: inout R, before: R?) throws {
        if let before, before.leadId == record.leadId, before.accountId == record.accountId,
            before.opportunityId == record.opportunityId, before.contactIds == record.contactIds
        {
            return
        }
        let prefix = R.fieldPath + "."
        var validation = Validation()
        if !record.leadId.isEmpty {
            let lead = try RecordRows.find(db, Lead.self, id: record.leadId)
            validation.check(lead != nil, prefix + "lead_id", .notFound, "no lead \(record.leadId)")
            validation.check(lead?.status != .archived, prefix + "lead_id", .archived, "lead \(record.leadId) is archived")
        }
        if !record.opportunityId.isEmpty {
            if let deal = try RecordRows.find(db, Opportunity.self, id: record.opportunityId) {
                validation.check(!deal.archived, prefix + "opportunity_id", .archived, "opportunity \(deal.id) is archived")
                if record.accountId.isEmpty { record.accountId = deal.accountId }
                validation.check(deal.accountId == record.accountId, prefix + "opportunity_id", .inconsistent, "opportunity \(deal.id) is not on account \(record.accountId)")
            } else {
                validation.check(false, prefix + "opportunity_id", .notFound, "no opportunity \(record.opportunityId)")
            }
        }
        for (index, id) in record.contactIds.enumerated() {
            let field = "\(prefix)contact_ids[\(index)]"
            guard let contact = try RecordRows.find(db, Contact.self, id: id) else {
                validation.check(false, field, .notFound, "no contact \(id)")
                continue
            }
            validation.check(!contact.archived, field, .archived, "contact \(id) is archived")
            guard !contact.accountId.isEmpty else { continue }
            if record.accountId.isEmpty { record.accountId = contact.accountId }
            validation.check(contact.accountId == record.accountId, field, .inconsistent, "contact \(id) is not of account \(record.accountId)")
        }
        if !record.accountId.isEmpty {
            let account = try RecordRows.find(db, Account.self, id: record.accountId)
            validation.check(account != nil, prefix + "account_id", .notFound, "no account \(record.accountId)")
            validation.check(account?.archived != true, prefix + "account_id", .archived, "account \(record.accountId) is archived")
        }
        try validation.throwIfInvalid()
    }
}

extension TenantStore {
    /// Refuses attendees that are not active users of the tenant.
    func requireActiveUsers(_ ids: [String], access: RecordAccess, field: String) async throws {
        var validation = Validation()
        for (index, id) in ids.enumerated() {
            let user = try? await controlPlane.user(id, tenantID: access.tenantID)
            validation.check(user?.status == UserStatus.active.rawValue, "\(field)[\(index)]", .notFound, "no active user \(id)")
        }
        try validation.throwIfInvalid()
    }
}
