import Foundation
import GRDB
import SFAProtoJSON
import SFAStorage
import SFAStubs

/// The JSON-lines export of a tenant (`EXPORT_FORMAT_JSON_LINES`): every record of
/// the tenant, one per line, in the proto3 JSON mapping of a `google.protobuf.Any` —
/// `{"@type":"type.googleapis.com/sfa.v1.Lead","id":"lead_…",…}` — so that each line
/// names its type and any protobuf JSON parser reads it back. Field names are as in
/// the .proto, fields at their default are left out, 64-bit integers are strings,
/// enums are value names (docs/operations.md).
enum TenantExport {
    /// A table of the tenant database and the message each of its rows stores whole.
    struct Table {
        var name: String
        /// The column holding the message's bytes.
        var column: String
        var type: any ProtoMessage.Type
    }

    /// Every table of tenant data. A new table must be added here or to
    /// ``internalTables``; a test fails until it is.
    static let tables: [Table] =
        [
            Table(name: "tenant_settings", column: "data", type: TenantSettings.self),
            Table(name: Team.table, column: "data", type: Team.self),
            Table(name: Pipeline.table, column: "data", type: Pipeline.self),
        ]
        + ([
            Account.self, Contact.self, Lead.self, Opportunity.self, Quote.self, Proposal.self, Activity.self, Consultation.self, DailyReport.self, SalesTarget.self,
        ] as [any OwnedRecord.Type]).map {
            Table(name: $0.table, column: "data", type: $0)
        }
        + [
            Table(name: "opportunity_history", column: "data", type: OpportunityHistoryEntry.self),
            Table(name: "daily_report_comment", column: "data", type: DailyReportComment.self),
            Table(name: "audit_event", column: "event", type: AuditEvent.self),
        ]

    /// Tables with nothing of the tenant's own: the replies kept for idempotent
    /// retries (`idempotency_key`), the counters behind numbers the records carry
    /// (`sequence`), the index of what daily reports cover, which the reports
    /// themselves list (`daily_report_item`), and the deals' stage stays, which the
    /// exported stage history holds (`stage_stay`).
    static let internalTables: Set<String> = ["idempotency_key", "sequence", "daily_report_item", "stage_stay"]

    /// Writes every record of `tables` from one read of `db` (the caller holds a
    /// transaction, so all come from one snapshot) into a new file at `path`.
    /// - Returns: how many records were written.
    static func write(_ db: Database, to path: String) throws -> Int64 {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw StorageError.failedPrecondition(reason: "WRITE_FAILED", message: "cannot create the export file")
        }
        defer { try? handle.close() }
        var count: Int64 = 0
        for table in tables {
            let typeURL = JSONValue.string("type.googleapis.com/" + table.type.protoName)
            let rows = try Data.fetchCursor(db, sql: "SELECT \(table.column) FROM \(table.name) ORDER BY rowid")
            while let data = try rows.next() {
                guard case .object(let fields) = try ProtoJSONDecoder.decode(Array(data), as: table.type.cDescriptor) else { continue }
                let line = JSONValue.object([("@type", typeURL)] + fields).serialized(pretty: false) + "\n"
                try handle.write(contentsOf: Data(line.utf8))
                count += 1
            }
        }
        return count
    }
}
