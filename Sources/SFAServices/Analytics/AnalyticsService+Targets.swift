import Foundation
import GRDB
import SFAStorage
public import SFAStubs

/// Sales targets: set per user, team or tenant and month; read within scope.
extension AnalyticsService {
    /// Creates the target of (user, team, month) or changes its amount. A user's
    /// target: a user the caller may assign records to; a team's: the caller's own
    /// team (scope team) or any (scope all); the tenant's: scope all.
    public func setSalesTarget(_ request: SetSalesTargetRequest, context: ServerContext) async throws -> SalesTarget {
        let access = try await store.access(context)
        var target = try SalesTarget.proposed(request.target)
        var validation = Validation()
        target.validate(prefix: "target.", into: &validation)
        if target.ownerUserId.isEmpty {
            let reaches = access.principal.scope == .all || (access.principal.scope == .team && !target.teamId.isEmpty && target.teamId == access.principal.teamID)
            validation.check(reaches, target.teamId.isEmpty ? "target" : "target.team_id", .notAllowed, "you may not set this team's or the tenant's target")
        }
        try validation.throwIfInvalid()
        if !target.ownerUserId.isEmpty { _ = try await store.owner(target.ownerUserId, access: access, field: "target.owner_user_id") }
        target.createdByUserId = access.principal.userID
        let (proposed, version) = (target, request.target?.version ?? 0)
        return try await store.write(access, context: context, request: request) { db, trail in
            let statement = try db.cachedStatement(sql: "SELECT data FROM sales_target WHERE owner_user_id = ? AND team_id = ? AND month = ?")
            guard let data = try Data.fetchOne(statement, arguments: [proposed.ownerUserId, proposed.teamId, proposed.month]) else {
                guard version == 0 else { throw StorageError.notFound(kind: SalesTarget.table, id: "\(proposed.ownerUserId)/\(proposed.teamId)/\(proposed.month)") }
                return try TenantStore.insert(db, &trail, proposed)
            }
            let stored = try SalesTarget(serializedBytes: Array(data))
            return try TenantStore.commit(db, &trail, before: stored, version: version == 0 ? stored.version : version, action: .update, access: access) {
                $0.amount = proposed.amount
            }
        }
    }

    public func listSalesTargets(_ request: ListSalesTargetsRequest, context: ServerContext) async throws -> ListSalesTargetsResponse {
        var validation = Validation()
        validation.bounded(request.ownerUserIds.count, "owner_user_ids", maximum: 100)
        validation.bounded(request.teamIds.count, "team_ids", maximum: 100)
        if !request.fromMonth.isEmpty { validation.month(request.fromMonth, "from_month") }
        if !request.toMonth.isEmpty { validation.month(request.toMonth, "to_month") }
        try validation.throwIfInvalid()
        let access = try await store.access(context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "")
        var query = RecordQuery<SalesTarget>()
        query.anyOf("owner_user_id", request.ownerUserIds)
        query.anyOf("team_id", request.teamIds)
        if !request.fromMonth.isEmpty { query.filter("month >= ?", [request.fromMonth]) }
        if !request.toMonth.isEmpty { query.filter("month <= ?", [request.toMonth]) }
        let (targets, next) = try await store.list(SalesTarget.self, query, page: page, access: access)
        return ListSalesTargetsResponse(targets: targets, nextPageToken: next)
    }
}
