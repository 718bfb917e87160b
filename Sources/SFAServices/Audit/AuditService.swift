public import SFAStorage
public import SFAStubs

/// `sfa.v1.AuditService`: the tenant's append-only audit log, for its admins. Events
/// come oldest first (ids sort by time); `order_by: "create_time_ms desc"` is not
/// offered here — page forward from a time range instead.
public struct AuditService: AuditServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    public func listAuditEvents(_ request: ListAuditEventsRequest, context: ServerContext) async throws -> ListAuditEventsResponse {
        let access = try await store.access(context)
        guard isOldestFirst(request.orderBy) else {
            throw RPCError.invalidArgument(
                "unsupported order",
                violations: [FieldViolation("order_by", .unknownValue, "audit events are listed oldest first")]
            )
        }
        var validation = Validation()
        validation.bounded(request.actions.count, "actions")
        validation.reference(request.recordId, "record_id")
        validation.reference(request.actorUserId, "actor_user_id")
        try validation.throwIfInvalid()
        let range = request.eventTime ?? TimeRange()
        let actions = Set(request.actions)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "").request
        let events = try await store.read(access) { db in
            try AuditLog.list(
                db,
                page: page,
                recordKind: request.recordKind == .unspecified ? nil : request.recordKind,
                recordID: request.recordId,
                actorUserID: request.actorUserId,
                fromTimeMs: range.startTimeMs,
                toTimeMs: range.endTimeMs
            )
        }
        // The action filter applies to the page read; the token still moves by the last id read.
        let kept = actions.isEmpty ? events : events.filter { actions.contains($0.action) }
        return ListAuditEventsResponse(events: kept, nextPageToken: page.nextToken(lastID: events.last?.id, count: events.count))
    }

    private func isOldestFirst(_ orderBy: String) -> Bool {
        (try? ListOrder(orderBy)) == ListOrder.creation
    }
}
