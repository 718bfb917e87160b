import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How contacts are stored and checked.
enum ContactRecords {
    static let table = "contact"

    static func columns(_ contact: Contact) -> [String: (any DatabaseValueConvertible)?] {
        [
            "id": contact.id, "version": contact.version,
            "account_id": contact.accountId.isEmpty ? nil : contact.accountId,
            "owner_user_id": contact.ownerUserId, "created_by_user_id": contact.createdByUserId, "archived": contact.archived,
            "email_key": RecordText.key(contact.email),
            "person_key": "",
            "search": RecordText.search(contact.firstName, contact.lastName, contact.email, contact.jobTitle),
            "update_time_ms": contact.updateTimeMs, "data": Data(contact.serializedBytes()),
        ]
    }

    static let updatable: Set<String> = [
        "first_name", "last_name", "email", "phone", "mobile_phone", "job_title", "department", "mailing_address",
        "email_opt_out", "notes", "custom_fields", "owner_user_id",
    ]

    static func validate(_ contact: Contact, fields: Set<String>, into validation: inout Validation) {
        if fields.contains("first_name") { validation.text(contact.firstName, "contact.first_name", required: false) }
        if fields.contains("last_name") { validation.text(contact.lastName, "contact.last_name") }
        if fields.contains("email") { validation.email(contact.email, "contact.email", required: false) }
        if fields.contains("phone") { validation.phone(contact.phone, "contact.phone") }
        if fields.contains("mobile_phone") { validation.phone(contact.mobilePhone, "contact.mobile_phone") }
        if fields.contains("job_title") { validation.text(contact.jobTitle, "contact.job_title", required: false) }
        if fields.contains("department") { validation.text(contact.department, "contact.department", required: false) }
        if fields.contains("notes") { validation.text(contact.notes, "contact.notes", required: false, maximumLength: 10_000) }
        if fields.contains("custom_fields") { validation.customFields(contact.customFields, "contact.custom_fields") }
        if fields.contains("mailing_address") { validation.address(contact.mailingAddress, "contact.mailing_address") }
    }

    static func fetch(_ db: Database, id: String, access: RecordAccess) throws -> Contact {
        guard let contact = try RecordRows.fetch(db, Contact.self, table: table, id: id, condition: access.condition) else {
            throw StorageError.notFound(kind: "contact", id: id)
        }
        return contact
    }
}
