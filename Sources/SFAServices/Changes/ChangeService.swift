public import SFAStorage
public import SFAStubs

/// `sfa.v1.ChangeService`: the tenant's change feed (docs/domain.md, "Change feed").
///
/// The feed reads the audit log, which every write appends to in its own
/// transaction, in commit order (``AuditLog/events(_:after:limit:)``), and
/// gives each change of a record the caller may see now with the record as it is
/// now (on the record's last change in the page; ``ChangePage``); a record that left the caller's view by that change (reassigned away,
/// archived, the caller no longer an attendee) as a tombstone. Scope is checked per
/// record at read time, with the scope the caller's role has on that kind's list.
public struct ChangeService: ChangeServiceHandler {
    /// Changes per page when the request names no size, and the most a page holds.
    static let defaultPageSize = 100
    static let maximumPageSize = 1_000
    /// The most bytes of changes a page holds (it always holds at least one): well
    /// under the 4 MiB frame and gRPC message limits, whatever the records weigh.
    static let pageByteBudget = 2 * 1024 * 1024

    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    public func listChanges(_ request: ListChangesRequest, context: ServerContext) async throws -> ListChangesResponse {
        let access = try await store.access(context)
        var validation = Validation()
        validation.check(request.pageSize >= 0, "page_size", .outOfRange, "must not be negative")
        try validation.throwIfInvalid()
        let cursor = try ChangeCursor(request.cursor, tenantID: access.tenantID)
        let size = request.pageSize == 0 ? Self.defaultPageSize : min(Int(request.pageSize), Self.maximumPageSize)
        let views = try await self.views(context)

        let (epoch, events, current) = try await store.read(access) { db in
            let epoch = try ChangeCursor.epoch(db, tenantID: access.tenantID)
            if cursor != .start {
                // A restore starts a new epoch: the client's copy may hold versions the
                // restored history never had.
                guard cursor.epoch == epoch, try AuditLog.eventID(db, at: cursor.position) == cursor.eventID else {
                    throw ChangeCursor.expired
                }
            }
            // At most `size` events whatever their kind: a caller who sees few kinds
            // still moves past the others, in bounded work per call.
            let events = try AuditLog.events(db, after: cursor.position, limit: size)
            // The records the page names, read once per kind within the caller's view.
            var current: [RecordKind: [String: ChangeFeedKind.Current]] = [:]
            for view in views {
                let ids = Set(events.lazy.filter { $0.event.recordKind == view.kind.kind }.map(\.event.recordId))
                if !ids.isEmpty { current[view.kind.kind] = try view.kind.read(db, ids.sorted(), view.access) }
            }
            return (epoch, events, current)
        }

        var page = ChangePage(budget: Self.pageByteBudget)
        // Where the page ends: the last event scanned, or the last change a full page holds.
        var end = events.last.map { (position: $0.position, eventID: $0.event.id) }
        for (position, event) in events {
            guard let view = views.first(where: { $0.kind.kind == event.recordKind }) else { continue }
            let record: Change.Record
            if let found = current[event.recordKind]?[event.recordId] {
                record = found.archived ? .tombstone(Tombstone(reason: .archived)) : found.record
            } else if view.kind.leftView(event, of: view.access) {
                record = .tombstone(Tombstone(reason: .outOfScope))
            } else {
                continue
            }
            let change = Change(
                recordKind: event.recordKind,
                recordId: event.recordId,
                version: event.recordVersion,
                operation: event.action,
                commitTimeMs: event.eventTimeMs,
                record: record
            )
            guard page.add(change, position: position, eventID: event.id) else {
                end = page.end
                break
            }
        }
        let next = end.map { ChangeCursor(position: $0.position, eventID: $0.eventID, epoch: epoch) } ?? cursor
        let more = events.count == size || end?.position != events.last?.position
        return ListChangesResponse(changes: page.changes, nextCursor: next.text(tenantID: access.tenantID), more: more)
    }

    /// The kinds the caller sees, each with the access its list gives the caller
    /// (one access per distinct scope, so a team's users are read once).
    private func views(_ context: ServerContext) async throws -> [(kind: ChangeFeedKind, access: RecordAccess)] {
        let principal = try context.requirePrincipal()
        var accesses: [RecordScope: RecordAccess] = [:]
        var views: [(kind: ChangeFeedKind, access: RecordAccess)] = []
        for kind in ChangeFeedKind.all {
            guard let scope = RecordAccess.grantedScope(principal, on: kind.listMethod) else { continue }
            if accesses[scope] == nil {
                accesses[scope] = try await RecordAccess.of(context, actingAs: kind.listMethod, controlPlane: store.controlPlane)
            }
            if let access = accesses[scope] { views.append((kind, access)) }
        }
        return views
    }
}
