import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How contacts are stored and checked.
extension Contact: OwnedRecord, ArchivableRecord {
    static var table: String { "contact" }
    static var recordKind: RecordKind { .contact }
    static var idPrefix: String { "cont" }
    static var fieldPath: String { "contact" }

    static let updatable: Set<String> = [
        "first_name", "last_name", "email", "phone", "mobile_phone", "job_title", "department", "mailing_address",
        "email_opt_out", "notes", "custom_fields", "owner_user_id",
    ]

    /// A contact is created in an account; MoveContact moves it later.
    static var creatable: Set<String> { updatable.union(["account_id"]) }

    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "account_id": accountId.isEmpty ? nil : accountId,
            "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId, "archived": archived,
            "email_key": RecordText.key(email), "person_key": "",
            "search": RecordText.search(firstName, lastName, email, jobTitle), "update_time_ms": updateTimeMs,
        ]
    }

    func validate(prefix: String, into validation: inout Validation) {
        validation.text(firstName, prefix + "first_name", required: false)
        validation.text(lastName, prefix + "last_name")
        validation.email(email, prefix + "email", required: false)
        validation.phone(phone, prefix + "phone")
        validation.phone(mobilePhone, prefix + "mobile_phone")
        validation.text(jobTitle, prefix + "job_title", required: false)
        validation.text(department, prefix + "department", required: false)
        validation.text(notes, prefix + "notes", required: false, maximumLength: 10_000)
        validation.customFields(customFields, prefix + "custom_fields")
        validation.address(mailingAddress, prefix + "mailing_address")
        validation.reference(accountId, prefix + "account_id")
    }
}
