import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// A record type the change feed carries: which list decides who sees it, how its
/// current rows are read within a caller's view, and how one goes into a `Change`.
struct ChangeFeedKind: Sendable {
    /// A record of this kind as the feed reads it now.
    struct Current {
        var record: Change.Record
        /// Archived (a lead: status ARCHIVED): out of the copy a partner keeps.
        var archived: Bool
    }

    let kind: RecordKind
    /// The list whose scope decides which records of this kind a caller sees, exactly
    /// as that list would show them; a caller who may not call it gets none.
    let listMethod: MethodDescriptor
    /// The field holding users who read a record beyond the scope (attendees), if any.
    let readersField: String?
    /// The records with the given ids that `access` may read, by id, as the list would
    /// show them.
    let read: @Sendable (Database, [String], RecordAccess) throws -> [String: Current]

    /// Every kind the feed carries: the records of the sales process a partner or BI
    /// system copies. Configuration (pipelines, settings, teams, targets) and daily
    /// reports are not in the feed; their lists are small enough to read again.
    static let all: [ChangeFeedKind] = [
        of(Lead.self, LeadServiceMethods.listLeads, archived: { $0.status == .archived }, wrap: Change.Record.lead),
        of(Account.self, AccountServiceMethods.listAccounts, archived: { $0.archived }, wrap: Change.Record.account),
        of(Contact.self, ContactServiceMethods.listContacts, archived: { $0.archived }, wrap: Change.Record.contact),
        of(Opportunity.self, OpportunityServiceMethods.listOpportunities, archived: { $0.archived }, wrap: Change.Record.opportunity),
        of(Activity.self, ActivityServiceMethods.listActivities, archived: { $0.archived }, wrap: Change.Record.activity),
        of(Consultation.self, ConsultationServiceMethods.listConsultations, archived: { $0.archived }, wrap: Change.Record.consultation),
        // As ListQuotes shows them: a presented quote past its date reads EXPIRED (on the
        // tenant's today, once per page); expiry is never stored, so it makes no change.
        of(Quote.self, QuoteServiceMethods.listQuotes, archived: { _ in false }, wrap: Change.Record.quote) { db in
            let today = try QuoteRecords.today(db)
            return { $0.asSeen(today: today) }
        },
        of(Proposal.self, ProposalServiceMethods.listProposals, archived: { _ in false }, wrap: Change.Record.proposal),
    ]

    private static func of<R: TenantRecord>(
        _: R.Type,
        _ listMethod: MethodDescriptor,
        archived: @escaping @Sendable (R) -> Bool,
        wrap: @escaping @Sendable (R) -> Change.Record,
        seen: @escaping @Sendable (Database) throws -> (R) -> R = { _ in { $0 } }
    ) -> ChangeFeedKind {
        ChangeFeedKind(kind: R.recordKind, listMethod: listMethod, readersField: R.readersColumn) { db, ids, access in
            let scope = access.readScope(R.self)
            let sql = """
                SELECT \(RecordRows.selected(R.self, ["id", "data"], hiding: access.hiddenColumns(R.self))) FROM \(R.table)
                WHERE id IN (SELECT value FROM json_each(?)) AND \(scope.sql)
                """
            var current: [String: Current] = [:]
            let asSeen = try seen(db)
            for row in try RecordRows.fetchAllEncoded(db, R.self, sql: sql, arguments: [SQLJSON.array(ids)] + scope.arguments) {
                let record = asSeen(try row.record.decoded())
                current[row.id] = Current(record: wrap(record), archived: archived(record))
            }
            return current
        }
    }

    /// Whether the change `event` describes took the record out of the view of
    /// `access`: it moved the owner away from one within the caller's scope, or took
    /// the caller off the record's readers. Only then does a record the caller can no
    /// longer see become a tombstone; the changes of records the caller never saw are
    /// left out, so the feed tells nobody about records outside their view.
    func leftView(_ event: AuditEvent, of access: RecordAccess) -> Bool {
        // A create lists its fields against the empty record: its "before" owner is
        // no one, which a team scope would take for the routing queue.
        guard event.action != .create else { return false }
        return event.changes.contains { change in
            switch change.field {
            case "owner_user_id":
                // A partner's scope follows who created the record (or its source lead),
                // which no change moves.
                guard access.principal.role != .partner, let owner = Self.text(change.beforeJson) else { return false }
                return access.contains(ownerUserID: owner, createdByUserID: "")
            case readersField:
                // The value is the list as the audit log describes it: ["usr_…", …];
                // ids are server-made, so a quoted id matches only itself.
                return Self.text(change.beforeJson)?.contains("\"\(access.principal.userID)\"") ?? false
            default:
                return false
            }
        }
    }

    /// The text of an audit value (a JSON string), nil for anything else.
    private static func text(_ json: String) -> String? {
        guard let data = json.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? String
    }
}
