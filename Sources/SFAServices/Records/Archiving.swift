import GRDB
import SFAStorage
import SFAStubs

/// A business record that is archived rather than deleted.
protocol ArchivableRecord: ProtoMessage {
    var id: String { get }
    var version: Int64 { get set }
    var archived: Bool { get set }
    var updateTimeMs: Int64 { get set }
}

extension Account: ArchivableRecord {}
extension Contact: ArchivableRecord {}

extension TenantStore {
    /// Archives a record the caller may see; archiving an archived record changes nothing.
    func archive<R: ArchivableRecord>(
        _: R.Type,
        id: String,
        version: Int64,
        kind: RecordKind,
        table: String,
        columns: @escaping @Sendable (R) -> [String: (any DatabaseValueConvertible)?],
        access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage
    ) async throws -> R {
        try await write(access, context: context, request: request) { db, trail in
            guard let before = try RecordRows.fetch(db, R.self, table: table, id: id, condition: access.condition) else {
                throw StorageError.notFound(kind: table, id: id)
            }
            guard !before.archived else { return before }
            var after = before
            after.archived = true
            after.version += 1
            after.updateTimeMs = nowMs()
            try RecordRows.update(db, table: table, id: id, expectedVersion: version, columns: columns(after))
            trail.record(kind, id, .archive, version: after.version, changes: [AuditLog.change("archived", before: "false", after: "true")])
            return after
        }
    }
}
