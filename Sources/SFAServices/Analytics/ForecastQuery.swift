import GRDB
import SFAStubs

/// GetForecast: the deals closing in a fiscal year, summed per month and forecast
/// category in SQL (won deals are CLOSED, lost ones OMITTED), and the sales targets
/// of the same months, in one statement; months then add up into the fiscal periods.
enum ForecastQuery {
    static let groupings: Set<AnalyticsGrouping> = [.owner, .team]

    /// One category's deals in one month.
    struct Sums {
        var count: Int64 = 0
        var amount: Int64 = 0
        var weighted: Int64 = 0
    }

    /// What SQL gives one group: per month, the deals per category and the target.
    struct Months {
        var deals: [String: [ForecastCategory: Sums]] = [:]
        var targets: [String: Int64] = [:]
    }

    /// The request's own checks: a fiscal year, and no dates (the year is the period).
    static func validate(_ request: GetForecastRequest, into validation: inout Validation) {
        let filter = request.filter ?? AnalyticsFilter()
        validation.check(request.fiscalYear != 0, "fiscal_year", .required, "is required")
        validation.check(request.fiscalYear == 0 || (1970...9998).contains(request.fiscalYear), "fiscal_year", .outOfRange, "is not 1970 to 9998")
        validation.check(filter.fromDate.isEmpty && filter.toDate.isEmpty, "filter.from_date", .notAllowed, "the period is the fiscal year")
        validation.known(request.interval, "interval", required: false)
    }

    static func run(_ db: Database, _ query: AnalyticsQuery, fiscalYear: Int32, interval: ForecastInterval) throws -> GetForecastResponse {
        let year = query.fiscal.year(fiscalYear)
        var deals = try query.deals(nil)
        deals.add("close_date >= ? AND close_date <= ?", [year.fromDate, year.toDate])
        let group = try query.group(.date("close_date"))
        let targets = targets(query, from: year.months[0], to: year.months[11])
        let sql = """
            SELECT 0, grp, month, category, count(*), sum(amount), sum(weighted), sum(excluded) FROM (
                SELECT \(group.sql) AS grp, substr(close_date, 1, 7) AS month, forecast_category AS category,
                    CASE WHEN amount_currency = ? THEN amount_minor ELSE 0 END AS amount,
                    CASE WHEN amount_currency = ? THEN weighted_minor ELSE 0 END AS weighted,
                    amount_currency != ? AS excluded
                FROM opportunity WHERE \(deals.sql)
            ) GROUP BY grp, month, category
            UNION ALL
            SELECT 1, \(targets.group), month, 0, 0, sum(amount_minor), 0, 0 FROM sales_target WHERE \(targets.conditions.sql)
            GROUP BY 2, month
            """
        let arguments = group.arguments + [query.currency, query.currency, query.currency] + deals.arguments + targets.conditions.arguments
        var groups: [String: Months] = query.filter.groupBy == .unspecified ? ["": Months()] : [:]
        var response = GetForecastResponse()
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let (key, month): (String, String) = (row[1] as String? ?? "", row[2])
            if row[0] as Int == 1 {
                groups[key, default: Months()].targets[month, default: 0] += row[5] as Int64
            } else {
                let category = ForecastCategory(rawValue: row[3])
                groups[key, default: Months()].deals[month, default: [:]][category] = Sums(count: row[4], amount: row[5], weighted: row[6])
                response.excludedOtherCurrencyCount += row[7] as Int64
            }
        }
        for (key, months) in groups.sorted(by: { $0.key < $1.key }) {
            let groupKey = query.key(key.databaseValue)
            response.periods += query.fiscal.periods(of: fiscalYear, interval).map { period(months, $0, group: groupKey, query) }
            response.years.append(period(months, year, group: groupKey, query))
        }
        return response
    }

    /// The target rows a forecast row is measured against (see `ForecastPeriod.target_amount`),
    /// within the caller's scope on targets.
    private static func targets(_ query: AnalyticsQuery, from: String, to: String) -> (group: String, conditions: SQLConditions) {
        var conditions = SQLConditions(query.access.scope(SalesTarget.self))
        conditions.add("month >= ? AND month <= ? AND amount_currency = ?", [from, to, query.currency])
        let (owners, teams) = (query.filter.ownerUserIds, query.filter.teamIds)
        func owned(by owners: [String]) { conditions.add("owner_user_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(owners)]) }
        func ofTeams(_ teams: [String]) { conditions.add("team_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(teams)]) }
        switch query.filter.groupBy {
        case .owner:
            conditions.add("owner_user_id != ''")
            if !owners.isEmpty { owned(by: owners) }
            if !teams.isEmpty { owned(by: query.teamMembers) }
            return ("owner_user_id", conditions)
        case .team:
            conditions.add("team_id != ''")
            if !teams.isEmpty { ofTeams(teams) }
            return ("team_id", conditions)
        default:
            if !owners.isEmpty {
                owned(by: owners)
            } else if !teams.isEmpty {
                ofTeams(teams)
            } else {
                switch query.access.principal.scope {
                case .own: conditions.add("owner_user_id = ?", [query.access.principal.userID])
                case .team: conditions.add("owner_user_id = '' AND team_id = ?", [query.access.principal.teamID])
                case .all: conditions.add("owner_user_id = '' AND team_id = ''")
                }
            }
            return ("''", conditions)
        }
    }

    /// The figures of `period` from its months' sums.
    private static func period(_ months: Months, _ period: FiscalCalendar.Period, group: AnalyticsGroupKey, _ query: AnalyticsQuery) -> ForecastPeriod {
        var categories: [ForecastCategory: Sums] = [:]
        var target: Int64 = 0
        for month in period.months {
            for (category, sums) in months.deals[month] ?? [:] {
                categories[category, default: Sums()].count += sums.count
                categories[category, default: Sums()].amount += sums.amount
                categories[category, default: Sums()].weighted += sums.weighted
            }
            target += months.targets[month] ?? 0
        }
        func amount(_ category: ForecastCategory) -> Int64 { categories[category]?.amount ?? 0 }
        let closed = amount(.closed)
        let commit = closed + amount(.commit)
        let mostLikely = commit + amount(.mostLikely)
        let bestCase = mostLikely + amount(.bestCase)
        return ForecastPeriod(
            group: group,
            fromDate: period.fromDate,
            toDate: period.toDate,
            label: period.label,
            categories: categories.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                ForecastCategoryTotal(category: $0.key, opportunityCount: $0.value.count, amount: query.money($0.value.amount), weightedAmount: query.money($0.value.weighted))
            },
            closedAmount: query.money(closed),
            commitAmount: query.money(commit),
            mostLikelyAmount: query.money(mostLikely),
            bestCaseAmount: query.money(bestCase),
            pipelineAmount: query.money(amount(.pipeline) + amount(.bestCase) + amount(.mostLikely) + amount(.commit)),
            targetAmount: query.money(target),
            attainmentBps: AnalyticsMath.bps(closed, of: target),
            commitAttainmentBps: AnalyticsMath.bps(commit, of: target)
        )
    }
}
