import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.AnalyticsService`: pipeline figures computed in SQL inside the tenant
/// database, over the records the caller's scope reaches (see `AnalyticsQuery`).
/// One file per query family; each runs as one statement, so its figures come from
/// one snapshot of the database.
public struct AnalyticsService: AnalyticsServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    public func getPipelineSummary(_ request: GetPipelineSummaryRequest, context: ServerContext) async throws -> GetPipelineSummaryResponse {
        try await run(request.filter, context: context, groupings: Self.dealGroupings, PipelineSummaryQuery.run)
    }

    public func getFunnel(_ request: GetFunnelRequest, context: ServerContext) async throws -> GetFunnelResponse {
        try await run(request.filter, context: context, groupings: FunnelQuery.groupings, FunnelQuery.run)
    }

    public func getStageConversion(_ request: GetStageConversionRequest, context: ServerContext) async throws -> GetStageConversionResponse {
        let cumulative = request.cumulative
        return try await run(request.filter, context: context, groupings: Self.dealGroupings) { db, query in
            try StageConversionQuery.run(db, query, cumulative: cumulative)
        }
    }

    public func getSalesMetrics(_ request: GetSalesMetricsRequest, context: ServerContext) async throws -> GetSalesMetricsResponse {
        try await run(request.filter, context: context, groupings: Self.dealGroupings, SalesMetricsQuery.run)
    }

    /// The fiscal year's periods, rolled up by forecast category, against the targets.
    public func getForecast(_ request: GetForecastRequest, context: ServerContext) async throws -> GetForecastResponse {
        let (year, interval) = (request.fiscalYear, request.interval)
        return try await run(request.filter, context: context, groupings: ForecastQuery.groupings, checks: { ForecastQuery.validate(request, into: &$0) }) {
            db, query in try ForecastQuery.run(db, query, fiscalYear: year, interval: interval)
        }
    }

    public func getActivityKpis(_ request: GetActivityKpisRequest, context: ServerContext) async throws -> GetActivityKpisResponse {
        let interval = request.interval
        return try await run(request.filter, context: context, groupings: ActivityKpisQuery.groupings, checks: { ActivityKpisQuery.validate(request, into: &$0) }) {
            db, query in try ActivityKpisQuery.run(db, query, interval: interval)
        }
    }

    /// Open deals inactive, past due, without a next activity or pushed repeatedly.
    public func getStalledDeals(_ request: GetStalledDealsRequest, context: ServerContext) async throws -> GetStalledDealsResponse {
        try await run(request.filter, context: context, groupings: Self.dealGroupings, checks: { StalledDealsQuery.validate(request, into: &$0) }) {
            db, query in try StalledDealsQuery.run(db, query, request, tenantDays: try SettingsRecords.load(db).stalledDealDays)
        }
    }

    public func getLostReasons(_ request: GetLostReasonsRequest, context: ServerContext) async throws -> GetLostReasonsResponse {
        try await run(request.filter, context: context, groupings: Self.dealGroupings, LostReasonsQuery.run)
    }

    /// Daily reports against the working days of the reps the caller reaches (from the
    /// control plane, before the tenant read), both narrowed as every daily-report
    /// read is (`TenantStore.dailyReportReadAccess`: the tenant's visibility setting).
    public func getDailyReportCompliance(_ request: GetDailyReportComplianceRequest, context: ServerContext) async throws -> GetDailyReportComplianceResponse {
        try await run(
            request.filter, context: context, groupings: DailyReportComplianceQuery.groupings,
            checks: { DailyReportComplianceQuery.validate(request, into: &$0) },
            prepare: { _, filter, members in
                let reach = try await store.dailyReportReadAccess(context)
                return (reach, try await DailyReportComplianceQuery.reporters(reach, filter, teamMembers: members, controlPlane: store.controlPlane))
            }
        ) { db, query, prepared in
            try DailyReportComplianceQuery.run(db, query, reach: prepared.0, reporters: prepared.1, settings: try SettingsRecords.load(db))
        }
    }

    public func getSpeedToLead(_ request: GetSpeedToLeadRequest, context: ServerContext) async throws -> GetSpeedToLeadResponse {
        try await run(request.filter, context: context, groupings: FunnelQuery.groupings, SpeedToLeadQuery.run)
    }

    public func getQuoteKpis(_ request: GetQuoteKpisRequest, context: ServerContext) async throws -> GetQuoteKpisResponse {
        try await run(request.filter, context: context, groupings: QuoteKpisQuery.groupings, checks: { QuoteKpisQuery.validate(request, into: &$0) }) {
            db, query in try QuoteKpisQuery.run(db, query)
        }
    }

    /// Deals keep every grouping's column (the team stamped on them among them).
    static let dealGroupings: Set<AnalyticsGrouping> = [.owner, .team, .source, .pipeline, .month]

    /// Validates `filter` and the request's own fields (`checks`), then runs `body` in one read with the tenant's settings.
    private func run<Response>(
        _ filter: AnalyticsFilter?,
        context: ServerContext,
        groupings: Set<AnalyticsGrouping>,
        checks: (inout Validation) -> Void = { _ in },
        _ body: (Database, AnalyticsQuery) throws -> Response
    ) async throws -> Response {
        try await run(filter, context: context, groupings: groupings, checks: checks, prepare: { _, _, _ in }) { db, query, _ in try body(db, query) }
    }

    /// ``run(_:context:groupings:checks:_:)`` with what `prepare` finds first outside
    /// the tenant file (the control plane, with the caller's access, the filter and
    /// the filter's teams' members), handed to `body`.
    private func run<Prepared, Response>(
        _ filter: AnalyticsFilter?,
        context: ServerContext,
        groupings: Set<AnalyticsGrouping>,
        checks: (inout Validation) -> Void,
        prepare: (RecordAccess, AnalyticsFilter, [String]) async throws -> Prepared,
        _ body: (Database, AnalyticsQuery, Prepared) throws -> Response
    ) async throws -> Response {
        let filter = filter ?? AnalyticsFilter()
        try AnalyticsQuery.validate(filter, allowedGroupings: groupings, checks: checks)
        let access = try await store.access(context)
        var members: [String] = []
        for team in filter.teamIds {
            members += try await store.controlPlane.teamMemberIDs(tenantID: access.tenantID, teamID: team)
        }
        let teamMembers = members
        let prepared = try await prepare(access, filter, teamMembers)
        // An aggregate may read much of the file: kept off the writer (TenantStore.read).
        return try await store.read(access, long: true) { db in
            let query = AnalyticsQuery(access: access, filter: filter, settings: try SettingsRecords.load(db), teamMembers: teamMembers)
            return try body(db, query, prepared)
        }
    }
}
