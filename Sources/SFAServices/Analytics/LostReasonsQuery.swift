import GRDB
import SFAStubs

/// GetLostReasons: the lost deals closed in the period, per group and lost reason —
/// count and amount — named from the tenant's lost reasons (retired ones too).
enum LostReasonsQuery {
    static func run(_ db: Database, _ query: AnalyticsQuery) throws -> GetLostReasonsResponse {
        let period = AnalyticsQuery.Period.date("close_date")
        var deals = try query.deals(period)
        deals.add("state = ?", [OpportunityState.lost.rawValue])
        let group = try query.group(period)
        let sql = """
            SELECT \(group.sql) AS grp, lost_reason, count(*), sum(CASE WHEN amount_currency = ? THEN amount_minor ELSE 0 END),
                sum(amount_currency != ?)
            FROM opportunity WHERE \(deals.sql)
            GROUP BY grp, lost_reason
            """
        let arguments = group.arguments + [query.currency, query.currency] + deals.arguments
        let labels = Dictionary(try SettingsRecords.load(db).lostReasons.map { ($0.key, $0.label) }, uniquingKeysWith: { first, _ in first })
        var rows: [(group: DatabaseValue, reason: String, count: Int64, amount: Int64)] = []
        var response = GetLostReasonsResponse()
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            rows.append((row[0], row[1], row[2], row[3]))
            response.excludedOtherCurrencyCount += row[4] as Int64
        }
        func counts(_ rows: [(group: DatabaseValue, reason: String, count: Int64, amount: Int64)], key: AnalyticsGroupKey) -> [LostReasonCount] {
            let lost = rows.map(\.count).reduce(0, +)
            var byReason: [String: (count: Int64, amount: Int64)] = [:]
            for row in rows {
                byReason[row.reason, default: (0, 0)].count += row.count
                byReason[row.reason, default: (0, 0)].amount += row.amount
            }
            return byReason.sorted { ($1.value.count, $0.key) < ($0.value.count, $1.key) }.map {
                LostReasonCount(
                    group: key, lostReason: $0.key, label: labels[$0.key] ?? "", lostCount: $0.value.count,
                    lostAmount: query.money($0.value.amount), shareBps: AnalyticsMath.bps($0.value.count, of: lost)
                )
            }
        }
        response.totals = counts(rows, key: AnalyticsGroupKey())
        if query.filter.groupBy == .unspecified {
            response.reasons = response.totals
        } else {
            let groups = Dictionary(grouping: rows) { $0.group.description }
            let keyed = groups.values.map { (key: query.key($0[0].group), rows: $0) }.sorted { ($0.key.sortKey) < ($1.key.sortKey) }
            response.reasons = keyed.flatMap { counts($0.rows, key: $0.key) }
        }
        response.lostCount = rows.map(\.count).reduce(0, +)
        response.lostAmount = query.money(rows.map(\.amount).reduce(0, +))
        return response
    }
}
