import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How leads are stored, checked and matched for duplicates.
enum LeadRecords {
    static let table = "lead"

    static func columns(_ lead: Lead) -> [String: (any DatabaseValueConvertible)?] {
        [
            "id": lead.id, "version": lead.version, "owner_user_id": lead.ownerUserId,
            "created_by_user_id": lead.createdByUserId, "status": lead.status.rawValue, "custom_status": lead.customStatus,
            "lifecycle": lead.lifecycle.rawValue, "source": lead.source.rawValue, "email_key": RecordText.key(lead.email),
            "person_key": RecordText.personKey(company: lead.companyName, firstName: lead.firstName, lastName: lead.lastName),
            "search": RecordText.search(lead.firstName, lead.lastName, lead.companyName, lead.email),
            "create_time_ms": lead.createTimeMs, "update_time_ms": lead.updateTimeMs, "data": Data(lead.serializedBytes()),
        ]
    }

    /// Fields a caller sets on create and may change with UpdateLead. Status, lifecycle,
    /// qualification, conversion and owner change through their own methods.
    static let editable: Set<String> = [
        "first_name", "last_name", "email", "phone", "company_name", "job_title", "website", "source",
        "source_detail", "custom_status", "external_id", "notes", "custom_fields", "status",
    ]

    /// Statuses UpdateLead may set: the others have their own transitions.
    static let freelySettable: Set<LeadStatus> = [.open, .contacted]

    /// Checks the fields of a lead; `fields` limits it to an update's mask. A lead
    /// needs a last name and a company (as in Salesforce), and a way to reach it.
    static func validate(_ lead: Lead, fields: Set<String>, prefix: String, into validation: inout Validation) {
        if fields.contains("first_name") { validation.text(lead.firstName, prefix + "first_name", required: false, maximumLength: 100) }
        if fields.contains("last_name") { validation.text(lead.lastName, prefix + "last_name", maximumLength: 100) }
        if fields.contains("email") { validation.email(lead.email, prefix + "email", required: false) }
        if fields.contains("phone") { validation.phone(lead.phone, prefix + "phone") }
        if fields.contains("company_name") { validation.text(lead.companyName, prefix + "company_name") }
        if fields.contains("job_title") { validation.text(lead.jobTitle, prefix + "job_title", required: false) }
        if fields.contains("website") { validation.text(lead.website, prefix + "website", required: false, maximumLength: 2048) }
        if fields.contains("source") { validation.known(lead.source, prefix + "source") }
        if fields.contains("source_detail") { validation.text(lead.sourceDetail, prefix + "source_detail", required: false) }
        if fields.contains("external_id") { validation.text(lead.externalId, prefix + "external_id", required: false, maximumLength: 100) }
        if fields.contains("notes") { validation.text(lead.notes, prefix + "notes", required: false, maximumLength: 10_000) }
        if fields.contains("custom_fields") { validation.customFields(lead.customFields, prefix + "custom_fields") }
        if fields.contains("status") {
            validation.check(
                lead.status == .unspecified || freelySettable.contains(lead.status),
                prefix + "status",
                "only OPEN or CONTACTED may be set directly; use MarkLeadMql, QualifyLead, DisqualifyLead or ConvertLead"
            )
        }
        // On create both are present; an update checks the lead as merged instead.
        if fields.contains("email") && fields.contains("phone") {
            validation.check(!lead.email.isEmpty || !lead.phone.isEmpty, prefix + "email", "a lead needs an email or a phone number")
        }
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
                violations: [FieldViolation(field: field, description: "\(lead.customStatus) is not a status of this tenant")]
            )
        }
        guard freelySettable.contains(definition.meaning) else {
            throw RPCError.invalidArgument(
                "this custom status is set by a transition",
                violations: [FieldViolation(field: field, description: "\(lead.customStatus) means \(definition.meaning); use its transition")]
            )
        }
        lead.status = definition.meaning
    }

    static func fetch(_ db: Database, id: String, access: RecordAccess) throws -> Lead {
        guard let lead = try RecordRows.fetch(db, Lead.self, table: table, id: id, condition: access.condition) else {
            throw StorageError.notFound(kind: "lead", id: id)
        }
        return lead
    }

    /// Leads that can still change: not converted, not archived.
    static func requireWorkable(_ lead: Lead) throws {
        switch lead.status {
        case .converted:
            throw StorageError.failedPrecondition(reason: "ALREADY_CONVERTED", message: "the lead was converted; it is read-only")
        case .archived:
            throw StorageError.failedPrecondition(reason: "ARCHIVED", message: "the lead is archived")
        default:
            break
        }
    }

    /// Existing leads and contacts that look like `lead`: same email, or same company
    /// and name. Matches the caller may not see are reported without their id.
    static func duplicates(_ db: Database, of lead: Lead, access: RecordAccess) throws -> [DuplicateMatch] {
        var matches: [DuplicateMatch] = []
        var seen: Set<String> = []
        func add(_ kind: RecordKind, _ row: Row, _ match: DuplicateMatchKind) throws {
            let id: String = row["id"]
            guard id != lead.id, seen.insert(id).inserted else { return }
            let visible = access.contains(ownerUserID: row["owner_user_id"], createdByUserID: row["created_by_user_id"])
            var duplicate = DuplicateMatch(recordKind: kind, matchKind: match)
            if visible {
                duplicate.recordId = id
                duplicate.ownerUserId = row["owner_user_id"]
                let data: Data = row["data"]
                if kind == .lead, let other = try? Lead(serializedBytes: Array(data)) {
                    duplicate.displayName = other.firstName + " " + other.lastName
                    duplicate.email = other.email
                    duplicate.companyName = other.companyName
                } else if let other = try? Contact(serializedBytes: Array(data)) {
                    duplicate.displayName = other.firstName + " " + other.lastName
                    duplicate.email = other.email
                }
            }
            matches.append(duplicate)
        }
        let emailKey = RecordText.key(lead.email)
        if !emailKey.isEmpty {
            for row in try Row.fetchAll(db, sql: "SELECT id, owner_user_id, created_by_user_id, data FROM lead WHERE email_key = ? LIMIT 10", arguments: [emailKey]) {
                try add(.lead, row, .email)
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, owner_user_id, created_by_user_id, data FROM contact WHERE email_key = ? AND archived = 0 LIMIT 10", arguments: [emailKey]) {
                try add(.contact, row, .email)
            }
        }
        let personKey = RecordText.personKey(company: lead.companyName, firstName: lead.firstName, lastName: lead.lastName)
        if !personKey.isEmpty {
            for row in try Row.fetchAll(db, sql: "SELECT id, owner_user_id, created_by_user_id, data FROM lead WHERE person_key = ? LIMIT 10", arguments: [personKey]) {
                try add(.lead, row, .companyAndName)
            }
        }
        return matches
    }
}
