import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How leads are stored and checked.
extension Lead: OwnedRecord {
    static var table: String { "lead" }
    static var recordKind: RecordKind { .lead }
    static var idPrefix: String { "lead" }
    static var fieldPath: String { "lead" }

    /// Fields a caller sets on create and may change with UpdateLead. Status, lifecycle,
    /// qualification, conversion and owner change through their own methods.
    static let updatable: Set<String> = [
        "first_name", "last_name", "email", "phone", "company_name", "job_title", "website", "source",
        "source_detail", "custom_status", "external_id", "notes", "custom_fields", "status",
    ]

    static var creatable: Set<String> { updatable.union(["owner_user_id"]) }

    /// Derived from the lead's activities and consultations (`LeadFirstTouch`).
    static var derivedColumns: [String] { ["first_touch_time_ms"] }

    /// A partner does not read the activities that answer its leads (nor speed to
    /// lead), so it does not read when the first of them happened either.
    static var partnerHiddenColumns: Set<String> { ["first_touch_time_ms"] }

    var columns: [String: (any DatabaseValueConvertible)?] {
        [
            "owner_user_id": ownerUserId, "created_by_user_id": createdByUserId, "status": status.rawValue,
            "custom_status": customStatus, "lifecycle": lifecycle.rawValue, "source": source.rawValue,
            "email_key": RecordText.key(email),
            "person_key": RecordText.personKey(company: companyName, firstName: firstName, lastName: lastName),
            "search": RecordText.search(firstName, lastName, companyName, email),
            "create_time_ms": createTimeMs, "update_time_ms": updateTimeMs,
            // The funnel's step times (analytics).
            "mql_time_ms": mqlTimeMs, "sql_time_ms": sqlTimeMs, "converted_time_ms": convertedTimeMs,
            "converted_opportunity_id": convertedOpportunityId,
        ]
    }

    /// A lead needs a last name and a company (as in Salesforce), a source, and a way
    /// to reach it.
    func validate(prefix: String, into validation: inout Validation) {
        validation.text(firstName, prefix + "first_name", required: false, maximumLength: 100)
        validation.text(lastName, prefix + "last_name", maximumLength: 100)
        validation.email(email, prefix + "email", required: false)
        validation.phone(phone, prefix + "phone")
        validation.text(companyName, prefix + "company_name")
        validation.text(jobTitle, prefix + "job_title", required: false)
        validation.text(website, prefix + "website", required: false, maximumLength: 2048)
        validation.known(source, prefix + "source")
        validation.text(sourceDetail, prefix + "source_detail", required: false)
        validation.text(externalId, prefix + "external_id", required: false, maximumLength: 100)
        validation.text(notes, prefix + "notes", required: false, maximumLength: 10_000)
        validation.customFields(customFields, prefix + "custom_fields")
        validation.check(!email.isEmpty || !phone.isEmpty, prefix + "email", .required, "a lead needs an email or a phone number")
    }

    /// Leads that can still change: not converted, not archived.
    func requireWritable() throws {
        switch status {
        case .converted:
            throw StorageError.failedPrecondition(reason: "ALREADY_CONVERTED", message: "the lead was converted; it is read-only")
        case .archived:
            throw StorageError.failedPrecondition(reason: "ARCHIVED", message: "the lead is archived")
        default:
            break
        }
    }
}

/// Lead rules beyond the record's own fields: statuses and duplicates.
enum LeadRecords {
    /// Statuses a caller may set directly (create, UpdateLead): the others have their own transitions.
    static let freelySettable: Set<LeadStatus> = [.open, .contacted]

    /// Checks a status sent by a caller.
    static func validateStatus(_ status: LeadStatus, _ field: String, into validation: inout Validation) {
        validation.check(
            status == .unspecified || freelySettable.contains(status),
            field,
            .notAllowed,
            "only OPEN or CONTACTED may be set directly; use MarkLeadMql, QualifyLead, DisqualifyLead or ConvertLead"
        )
    }

    /// Applies the tenant's custom statuses: a named custom status must exist, not be
    /// retired, and mean OPEN or CONTACTED (the statuses set directly); it sets the
    /// built-in status to its meaning. Without one, the tenant's default custom status
    /// for the lead's status is used, if any.
    static func applyCustomStatus(_ lead: inout Lead, settings: TenantSettings, field: String) throws {
        guard !lead.customStatus.isEmpty else {
            lead.customStatus = SettingsRecords.defaultCustomStatus(for: lead.status, in: settings)
            return
        }
        guard let definition = SettingsRecords.customStatus(lead.customStatus, in: settings) else {
            throw RPCError.invalidArgument(
                "unknown custom status",
                violations: [FieldViolation(field, .notFound, "\(lead.customStatus) is not a status of this tenant")]
            )
        }
        guard freelySettable.contains(definition.meaning) else {
            throw RPCError.invalidArgument(
                "this custom status is set by a transition",
                violations: [FieldViolation(field, .notAllowed, "\(lead.customStatus) means \(definition.meaning); use its transition")]
            )
        }
        lead.status = definition.meaning
    }

    /// The keys two leads (or a lead and a contact) that look alike share: the e-mail
    /// address, and the company and name; empty when the lead lacks what one needs.
    struct DuplicateKeys: Sendable {
        let email: String
        let person: String

        init(_ lead: Lead) {
            email = RecordText.key(lead.email)
            person = RecordText.personKey(company: lead.companyName, firstName: lead.firstName, lastName: lead.lastName)
        }
    }

    /// Existing leads and contacts that look like `lead`: same email, or same company
    /// and name. Matches the caller may not see are reported without their id.
    /// `keys` are the lead's, when they were worked out before the transaction.
    static func duplicates(_ db: Database, of lead: Lead, keys: DuplicateKeys? = nil, access: RecordAccess) throws -> [DuplicateMatch] {
        let keys = keys ?? DuplicateKeys(lead)
        var matches: [DuplicateMatch] = []
        var seen: Set<String> = []
        // This runs on the tenant's writer for every lead created: the rows are read
        // where the statement holds them (columns by position, the record's bytes
        // decoded from SQLite's buffer), with no array of copied rows in between.
        func add(_ kind: RecordKind, _ match: DuplicateMatchKind, sql: String, key: String) throws {
            let statement = try db.cachedStatement(sql: sql)
            try RecordRows.forEachRow(statement, arguments: [key]) { id in
                guard id != lead.id, seen.insert(id).inserted else { return }
                let ownerUserID = String(sqliteStatement: statement.sqliteStatement, index: 1)
                let createdByUserID = String(sqliteStatement: statement.sqliteStatement, index: 2)
                var duplicate = DuplicateMatch(recordKind: kind, matchKind: match)
                if access.contains(ownerUserID: ownerUserID, createdByUserID: createdByUserID) {
                    duplicate.recordId = id
                    duplicate.ownerUserId = ownerUserID
                    let data = RecordRows.storedBytes(statement, column: 3)
                    if kind == .lead, let other = try? Lead(serializedBytes: data) {
                        duplicate.displayName = other.firstName + " " + other.lastName
                        duplicate.email = other.email
                        duplicate.companyName = other.companyName
                    } else if let other = try? Contact(serializedBytes: data) {
                        duplicate.displayName = other.firstName + " " + other.lastName
                        duplicate.email = other.email
                    }
                }
                matches.append(duplicate)
            }
        }
        let columns = "id, owner_user_id, created_by_user_id, data"
        if !keys.email.isEmpty {
            try add(.lead, .email, sql: "SELECT \(columns) FROM lead WHERE email_key = ? LIMIT 10", key: keys.email)
            try add(.contact, .email, sql: "SELECT \(columns) FROM contact WHERE email_key = ? AND archived = 0 LIMIT 10", key: keys.email)
        }
        if !keys.person.isEmpty {
            try add(.lead, .companyAndName, sql: "SELECT \(columns) FROM lead WHERE person_key = ? LIMIT 10", key: keys.person)
        }
        return matches
    }
}
