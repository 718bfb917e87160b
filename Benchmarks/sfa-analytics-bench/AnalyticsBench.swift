// sfa-analytics-bench: every AnalyticsService query over a large tenant, timed, with
// the SQLite query plans that serve it (issue 13: each under 200 ms on the 2-core
// machine, none a full scan of activities).
//
//   swift build -c release --product sfa-analytics-bench
//   .build/release/sfa-analytics-bench [--opportunities 100000] [--activities 1000000] [--leads 100000] [--runs 5]
//
// It builds the tenant straight through the storage layer (Dataset), then calls the
// service's handlers as the server does after the gate (a principal per role: an
// admin reads all, a manager its team of 10 reps, a rep its own), each query once to
// warm the cache and `--runs` times measured. The tenant file has one reader
// connection, on which a trace collects the SQL the queries ran; each statement's
// `EXPLAIN QUERY PLAN` follows the timings (parameters unbound: the plan is the
// statement's, whatever the values).
import Foundation
import GRDB
import GRDBSQLite
import Logging
import SFAServices
import SFAStorage
import SFAStubs
import Synchronization

@main
struct AnalyticsBench {
    static func grouped(_ filter: AnalyticsFilter, _ grouping: AnalyticsGrouping) -> AnalyticsFilter {
        var filter = filter
        filter.groupBy = grouping
        return filter
    }

    static func main() async throws {
        try await run()
    }

    /// Off the main actor (where `main` runs): the storage reads' closures run on the
    /// database's own queue.
    nonisolated static func run() async throws {
        var options = Dataset.Options()
        var runs = 5
        var arguments = CommandLine.arguments.dropFirst()
        while let name = arguments.popFirst() {
            guard let value = arguments.popFirst().flatMap(Int.init) else {
                FileHandle.standardError.write(Data("usage: sfa-analytics-bench [--opportunities N] [--activities N] [--leads N] [--runs N]\n".utf8))
                exit(2)
            }
            switch name {
            case "--opportunities": options.opportunities = value
            case "--activities": options.activities = value
            case "--leads": options.leads = value
            case "--runs": runs = value
            default:
                FileHandle.standardError.write(Data("unknown option \(name)\n".utf8))
                exit(2)
            }
        }

        let directory = NSTemporaryDirectory() + "sfa-analytics-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let storage = StorageConfiguration(dataDirectory: directory, durability: .processCrash, maximumReadersPerTenant: 1)
        let controlPlane = try ControlPlane(storage: storage)
        let tenants = try TenantDatabases(storage: storage, logger: logger)

        let building = ContinuousClock.now
        let (tenantID, people) = try await Dataset.make(options, controlPlane: controlPlane, tenants: tenants)
        let counts = try await tenants.read(tenantID) { db in
            try ["opportunity", "opportunity_history", "stage_stay", "activity", "consultation", "lead", "sales_target", "quote", "daily_report"].map {
                "\($0) \(try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)")!)"
            }
        }
        print("dataset: \(counts.joined(separator: ", ")) — built in \(ContinuousClock.now - building)")

        // The SQL the queries run, from the one reader connection.
        let statements = Mutex<[String]>([])
        try await tenants.read(tenantID) { db in
            db.trace(options: .statement) { event in
                if case .statement(let statement) = event { statements.withLock { $0.append(statement.sql) } }
            }
        }

        let service = AnalyticsService(controlPlane: controlPlane, tenants: tenants)
        let callers: [(name: String, principal: Principal)] = [
            ("admin (all)", Principal(tenantID: tenantID, userID: people.admin, role: .admin, teamID: "", keyID: "", scope: .all)),
            ("manager (team of 10)", Principal(tenantID: tenantID, userID: people.managers[0], role: .manager, teamID: people.teamIDs[0], keyID: "", scope: .team)),
            ("rep (own)", Principal(tenantID: tenantID, userID: people.reps[0][0], role: .rep, teamID: people.teamIDs[0], keyID: "", scope: .own)),
        ]
        let year = AnalyticsFilter(fromDate: "2025-04-01", toDate: "2026-03-31")
        typealias Query = @Sendable (ServerContext) async throws -> Void
        let queries: [(name: String, method: MethodDescriptor, run: Query)] = [
            ("GetPipelineSummary by owner", AnalyticsServiceMethods.getPipelineSummary, {
                _ = try await service.getPipelineSummary(GetPipelineSummaryRequest(filter: grouped(AnalyticsFilter(), .owner)), context: $0)
            }),
            ("GetFunnel by source, one year", AnalyticsServiceMethods.getFunnel, {
                _ = try await service.getFunnel(GetFunnelRequest(filter: grouped(year, .source)), context: $0)
            }),
            ("GetStageConversion, one year", AnalyticsServiceMethods.getStageConversion, {
                _ = try await service.getStageConversion(GetStageConversionRequest(filter: year), context: $0)
            }),
            ("GetStageConversion cumulative, one year", AnalyticsServiceMethods.getStageConversion, {
                _ = try await service.getStageConversion(GetStageConversionRequest(filter: year, cumulative: true), context: $0)
            }),
            ("GetSalesMetrics by owner, one year", AnalyticsServiceMethods.getSalesMetrics, {
                _ = try await service.getSalesMetrics(GetSalesMetricsRequest(filter: grouped(year, .owner)), context: $0)
            }),
            ("GetForecast FY2025 by quarter", AnalyticsServiceMethods.getForecast, {
                _ = try await service.getForecast(GetForecastRequest(filter: AnalyticsFilter(), fiscalYear: 2025, interval: .quarter), context: $0)
            }),
            ("GetActivityKpis by week, one quarter", AnalyticsServiceMethods.getActivityKpis, {
                _ = try await service.getActivityKpis(
                    GetActivityKpisRequest(filter: AnalyticsFilter(fromDate: "2026-01-01", toDate: "2026-03-31"), interval: .week), context: $0
                )
            }),
            ("GetStalledDeals by owner", AnalyticsServiceMethods.getStalledDeals, {
                _ = try await service.getStalledDeals(GetStalledDealsRequest(filter: grouped(AnalyticsFilter(), .owner)), context: $0)
            }),
            ("GetLostReasons by owner, one year", AnalyticsServiceMethods.getLostReasons, {
                _ = try await service.getLostReasons(GetLostReasonsRequest(filter: grouped(year, .owner)), context: $0)
            }),
            ("GetDailyReportCompliance, one quarter", AnalyticsServiceMethods.getDailyReportCompliance, {
                _ = try await service.getDailyReportCompliance(
                    GetDailyReportComplianceRequest(filter: AnalyticsFilter(fromDate: "2026-01-01", toDate: "2026-03-31")), context: $0
                )
            }),
            ("GetSpeedToLead by source, one year", AnalyticsServiceMethods.getSpeedToLead, {
                _ = try await service.getSpeedToLead(GetSpeedToLeadRequest(filter: grouped(year, .source)), context: $0)
            }),
            ("GetQuoteKpis by owner, one year", AnalyticsServiceMethods.getQuoteKpis, {
                _ = try await service.getQuoteKpis(GetQuoteKpisRequest(filter: grouped(year, .owner)), context: $0)
            }),
        ]

        print("\n| query | caller | median ms | max ms |\n| --- | --- | ---: | ---: |")
        var worst: Duration = .zero
        var plans: [(String, String)] = []
        for query in queries {
            for caller in callers {
                let context = ServerContext(method: query.method, callID: 0, principal: caller.principal)
                statements.withLock { $0.removeAll() }
                try await query.run(context)
                let ran = statements.withLock { $0 }.filter { !$0.hasPrefix("SELECT data FROM") }
                if caller.name.hasPrefix("admin") { for sql in ran { plans.append((query.name, sql)) } }
                var times: [Duration] = []
                for _ in 0..<runs {
                    let started = ContinuousClock.now
                    try await query.run(context)
                    times.append(ContinuousClock.now - started)
                }
                times.sort()
                worst = max(worst, times[times.count - 1])
                func ms(_ duration: Duration) -> String { String(format: "%.1f", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000) }
                print("| \(query.name) | \(caller.name) | \(ms(times[times.count / 2])) | \(ms(times[times.count - 1])) |")
            }
        }
        print("\nslowest run: \(worst)")

        print("\n## Query plans (admin)")
        for (name, sql) in plans {
            let plan = try await tenants.read(tenantID) { db in
                let statement = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + sql)
                let unbound = StatementArguments(Array(repeating: DatabaseValue.null, count: Int(sqlite3_bind_parameter_count(statement.sqliteStatement))))
                return try Row.fetchAll(statement, arguments: unbound).map { "\($0["id"] as Int) \($0["parent"] as Int) \($0["detail"] as String)" }
            }
            print("\n### \(name)\n\n```sql\n\(sql)\n```\n\n```\n\(plan.joined(separator: "\n"))\n```")
        }
    }
}
