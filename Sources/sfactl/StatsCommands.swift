import ArgumentParser
import SFAMessages
import SFAStubs

/// `sfactl stats …`: server and tenant statistics (operator).
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show server or tenant statistics (operator key).",
        subcommands: [Server.self, TenantStats.self]
    )

    struct Server: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "server",
            abstract: "Connections, calls, open databases, uptime and per-method counts (AdminService.GetServerStats)."
        )

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Also list methods that were never called.")
        var allMethods = false

        func run() async throws {
            try await global.withClient { client in
                let stats = try await AdminServiceClient(client).getServerStats(GetServerStatsRequest(), options: global.callOptions)
                if global.json {
                    print(try Output.json(stats))
                    return
                }
                var summary: [(String, String)] = []
                summary.append(("server version", stats.serverVersion))
                summary.append(("started", Output.time(stats.startTimeMs)))
                summary.append(("uptime", Output.duration(milliseconds: stats.uptimeMs)))
                summary.append(("draining", stats.draining ? "yes" : "no"))
                summary.append(("connections", "\(stats.openConnections) / \(stats.maxConnections)"))
                summary.append(("calls in flight", String(stats.callsInFlight)))
                summary.append(("calls total", String(stats.totalCalls)))
                summary.append(("tenants", String(stats.tenantCount)))
                summary.append(("open tenant DBs", "\(stats.openTenantDatabases) / \(stats.tenantDatabaseCacheCapacity)"))
                Output.printPairs(summary)

                let methods = stats.methods.filter { allMethods || $0.callCount > 0 }
                guard !methods.isEmpty else { return }
                print("")
                var table = Table("METHOD", "CALLS", "ERRORS", "P50", "P99", "MAX", "STATUS COUNTS")
                for method in methods.sorted(by: { $0.callCount > $1.callCount }) {
                    let counts = method.statusCounts
                        .filter { $0.callCount > 0 }
                        .map { "\(Output.enumText($0.code, "sfa.v1.RpcCode").uppercased())=\($0.callCount)" }
                        .joined(separator: " ")
                    table.add(
                        method.method,
                        String(method.callCount),
                        String(method.errorCount),
                        Self.microseconds(method.p50LatencyUs),
                        Self.microseconds(method.p99LatencyUs),
                        Self.microseconds(method.maxLatencyUs),
                        counts.isEmpty ? "-" : counts
                    )
                }
                table.print()
            }
        }

        static func microseconds(_ value: Int64) -> String {
            value >= 10_000 ? "\(value / 1000) ms" : "\(value) µs"
        }
    }

    struct TenantStats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tenant",
            abstract: "A tenant's record counts, database size and keys (AdminService.GetTenantStats)."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The tenant id.")
        var tenant: String

        func run() async throws {
            try await global.withClient { client in
                let stats = try await AdminServiceClient(client).getTenantStats(
                    GetTenantStatsRequest(tenantId: tenant),
                    options: global.callOptions
                )
                if global.json {
                    print(try Output.json(stats))
                    return
                }
                var summary: [(String, String)] = []
                summary.append(("tenant", stats.tenantId))
                summary.append(("schema version", String(stats.schemaVersion)))
                summary.append(("database size", Output.bytes(stats.databaseSizeBytes)))
                summary.append(("WAL size", Output.bytes(stats.walSizeBytes)))
                summary.append(("database open", stats.databaseOpen ? "yes" : "no"))
                summary.append(("users", String(stats.userCount)))
                summary.append(("active API keys", String(stats.activeApiKeyCount)))
                summary.append(("last write", Output.time(stats.lastWriteTimeMs)))
                Output.printPairs(summary)
                guard !stats.recordCounts.isEmpty else { return }
                print("")
                var table = Table("RECORD KIND", "COUNT")
                for count in stats.recordCounts {
                    table.add(Output.enumText(count.recordKind, "sfa.v1.RecordKind"), String(count.recordCount))
                }
                table.print()
            }
        }
    }
}
