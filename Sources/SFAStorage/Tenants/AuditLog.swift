import Foundation
public import GRDB
public import SFAMessages

/// The append-only audit log of a tenant (SPEC §2): every change, who, when, what.
/// Triggers in the schema refuse any UPDATE or DELETE of it.
public enum AuditLog {
    /// Appends `event` (its id and time are filled in); call it in the write's transaction.
    public static func append(_ db: Database, _ event: AuditEvent) throws {
        try insert(db, stamped(event))
    }

    /// `event` with a new id and the current time.
    public static func stamped(_ event: AuditEvent) -> AuditEvent {
        var event = event
        event.id = RecordID.make("aud")
        event.eventTimeMs = Int64(Date().timeIntervalSince1970 * 1000)
        return event
    }

    /// Inserts an event that already has its id and time; inserting it twice keeps one.
    public static func insert(_ db: Database, _ event: AuditEvent) throws {
        // Prepared once per connection: every write of a tenant appends events.
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO audit_event VALUES (?, ?, ?, ?, ?, ?, ?)").execute(
            arguments: [
                event.id, event.eventTimeMs, event.actorUserId, event.method, event.recordKind.rawValue, event.recordId,
                Data(event.serializedBytes()),
            ]
        )
    }

    /// Events, oldest first, after `page.after`, optionally for one record or actor.
    public static func list(
        _ db: Database,
        page: PageRequest,
        recordKind: RecordKind?,
        recordID: String,
        actorUserID: String,
        fromTimeMs: Int64,
        toTimeMs: Int64
    ) throws -> [AuditEvent] {
        var conditions = ["1"]
        var arguments: StatementArguments = []
        if let after = page.after {
            conditions.append("id > ?")
            _ = arguments.append(contentsOf: [after])
        }
        if let recordKind {
            conditions.append("record_kind = ?")
            _ = arguments.append(contentsOf: [recordKind.rawValue])
        }
        if !recordID.isEmpty {
            conditions.append("record_id = ?")
            _ = arguments.append(contentsOf: [recordID])
        }
        if !actorUserID.isEmpty {
            conditions.append("actor_user_id = ?")
            _ = arguments.append(contentsOf: [actorUserID])
        }
        if fromTimeMs > 0 {
            conditions.append("event_time_ms >= ?")
            _ = arguments.append(contentsOf: [fromTimeMs])
        }
        if toTimeMs > 0 {
            conditions.append("event_time_ms < ?")
            _ = arguments.append(contentsOf: [toTimeMs])
        }
        _ = arguments.append(contentsOf: [page.size])
        let sql = "SELECT event FROM audit_event WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?"
        return try Data.fetchAll(db, sql: sql, arguments: arguments).map { try AuditEvent(serializedBytes: Array($0)) }
    }

    /// Events after `position`, oldest first, at most `limit`, each with its
    /// position: the change feed's reading of the log. Every kind is read (the feed
    /// filters them), so a reader who sees few kinds still moves past the others.
    ///
    /// A position is the event's rowid. Every tenant write runs on the file's one
    /// writer connection and its events are inserted in the order the writes commit
    /// (group commit runs the writes of a batch one after another in one transaction),
    /// so rowids grow in commit order; no row is ever deleted (the triggers), so none is
    /// reused; and a write rolled back to its savepoint takes its events with it, so a
    /// position a reader saw is never filled in later. Reading past a position
    /// therefore never misses a committed event. The rowid is implicit (the table's key
    /// is its text id): `VACUUM` may renumber it, so positions hold only within one
    /// file. The live file is never vacuumed; a backup (`VACUUM INTO`) is a new file
    /// whose restore starts a new history epoch, which expires every earlier cursor.
    public static func events(
        _ db: Database,
        after position: Int64,
        limit: Int
    ) throws -> [(position: Int64, event: AuditEvent)] {
        let statement = try db.cachedStatement(sql: "SELECT rowid, event FROM audit_event WHERE rowid > ? ORDER BY rowid LIMIT ?")
        return try Row.fetchAll(statement, arguments: [position, limit]).map { row in
            let bytes: Data = row[1]
            return (row[0], try AuditEvent(serializedBytes: Array(bytes)))
        }
    }

    /// The id of the event at `position` (see ``events(_:after:limit:)``), nil
    /// when there is none: a feed checks that its position still holds the event it
    /// read there (a restored backup holds another history).
    public static func eventID(_ db: Database, at position: Int64) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM audit_event WHERE rowid = ?"), arguments: [position])
    }

    /// A field change for the log, values as JSON text.
    public static func change(_ field: String, before: String?, after: String?) -> FieldChange {
        FieldChange(field: field, beforeJson: before.map(json) ?? "null", afterJson: after.map(json) ?? "null")
    }

    private static func json(_ string: String) -> String {
        // Printable ASCII without a quote, backslash or slash needs no escaping: quoting
        // it is all JSONSerialization would do, at a fraction of its cost (it was a
        // sixth of a CreateLead's time on the writer, which every write of the tenant
        // waits for). Anything else still goes through it, so the text is the same.
        let plain = string.utf8.allSatisfy { byte in
            byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "/")
        }
        if plain {
            return "\"" + string + "\""
        }
        let data = try? JSONSerialization.data(withJSONObject: [string], options: [.fragmentsAllowed])
        let array = data.flatMap { String(data: $0, encoding: .utf8) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}
