import GRDB
import SFAStorage
import SFAStubs

/// What every analytics query of one call shares: the caller's access, its filter
/// (validated), the tenant's currency and calendar, and the SQL that turns them into
/// conditions and group keys. Each table a query reads is read through a subquery
/// carrying the caller's scope on that table (`RecordAccess.scope`, unqualified
/// columns), so a join or a group-by can never reach a row the lists would not show.
struct AnalyticsQuery {
    /// A date or time a query's period filters and MONTH groups by.
    enum Period {
        /// A `YYYY-MM-DD` column (tenant dates as stored).
        case date(String)
        /// A Unix-milliseconds column; the period's dates become tenant-time-zone bounds.
        case time(String)
    }

    let access: RecordAccess
    let filter: AnalyticsFilter
    /// The money figures' currency: the filter's, else the tenant's.
    let currency: String
    let calendar: TenantCalendar
    let fiscal: FiscalCalendar
    /// The owners a lead filter on teams means: the teams' current members (leads keep no team).
    let teamMembers: [String]
    let now: Int64

    /// At most this many months in a MONTH grouping over times (one SQL branch each).
    static let maximumMonths = 120

    /// Checks `filter` whole and the request's own fields (`checks`), every violation at once.
    static func validate(_ filter: AnalyticsFilter, allowedGroupings: Set<AnalyticsGrouping>, checks: (inout Validation) -> Void) throws {
        var validation = Validation()
        checks(&validation)
        validation.bounded(filter.ownerUserIds.count, "filter.owner_user_ids", maximum: 100)
        validation.bounded(filter.teamIds.count, "filter.team_ids", maximum: 100)
        validation.bounded(filter.sources.count, "filter.sources", maximum: 20)
        for (index, id) in filter.ownerUserIds.enumerated() { validation.reference(id, "filter.owner_user_ids[\(index)]") }
        for (index, id) in filter.teamIds.enumerated() { validation.reference(id, "filter.team_ids[\(index)]") }
        for (index, source) in filter.sources.enumerated() { validation.known(source, "filter.sources[\(index)]") }
        validation.reference(filter.pipelineId, "filter.pipeline_id")
        validation.date(filter.fromDate, "filter.from_date", required: false)
        validation.date(filter.toDate, "filter.to_date", required: false)
        if !filter.fromDate.isEmpty, !filter.toDate.isEmpty {
            validation.check(filter.fromDate <= filter.toDate, "filter.to_date", .outOfRange, "is before from_date")
        }
        if !filter.currencyCode.isEmpty {
            validation.check(ISO4217.exponent(of: filter.currencyCode) != nil, "filter.currency_code", .unknownValue, "is not an ISO 4217 currency")
        }
        validation.known(filter.groupBy, "filter.group_by", required: false)
        validation.check(
            filter.groupBy == .unspecified || allowedGroupings.contains(filter.groupBy), "filter.group_by", .notAllowed,
            "this figure is not grouped that way"
        )
        try validation.throwIfInvalid()
    }

    init(access: RecordAccess, filter: AnalyticsFilter, settings: TenantSettings, teamMembers: [String]) {
        self.access = access
        self.filter = filter
        currency = filter.currencyCode.isEmpty ? settings.defaultCurrencyCode : filter.currencyCode
        calendar = TenantCalendar(timeZone: settings.timeZone)
        fiscal = FiscalCalendar(settings)
        self.teamMembers = teamMembers
        now = nowMs()
    }

    // MARK: Conditions

    /// The rows of opportunities the caller may read that pass the filter: live (not
    /// archived), in the period of `period`.
    func deals(_ period: Period?) throws -> SQLConditions {
        var conditions = SQLConditions(access.scope(Opportunity.self))
        conditions.add("archived = 0")
        if !filter.ownerUserIds.isEmpty { conditions.add("owner_user_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(filter.ownerUserIds)]) }
        if !filter.teamIds.isEmpty { conditions.add("team_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(filter.teamIds)]) }
        if !filter.pipelineId.isEmpty { conditions.add("pipeline_id = ?", [filter.pipelineId]) }
        if !filter.sources.isEmpty { conditions.add("source IN (SELECT value FROM json_each(?))", [SQLJSON.array(filter.sources.map(\.rawValue))]) }
        if let period { try self.period(period, into: &conditions) }
        return conditions
    }

    /// The leads the caller may read that pass the filter's owners, teams (their
    /// owners' current teams) and sources, created in the period.
    func leads() throws -> SQLConditions {
        var conditions = owned(Lead.self)
        if !filter.sources.isEmpty { conditions.add("source IN (SELECT value FROM json_each(?))", [SQLJSON.array(filter.sources.map(\.rawValue))]) }
        try period(.time("create_time_ms"), into: &conditions)
        return conditions
    }

    /// The rows of `Record` (a record type keeping no team) the caller may read, owned
    /// by the filter's owners and by its teams' current members.
    func owned<Record: TenantRecord>(_: Record.Type) -> SQLConditions {
        var conditions = SQLConditions(access.scope(Record.self))
        if !filter.ownerUserIds.isEmpty { conditions.add("owner_user_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(filter.ownerUserIds)]) }
        if !filter.teamIds.isEmpty { conditions.add("owner_user_id IN (SELECT value FROM json_each(?))", [SQLJSON.array(teamMembers)]) }
        return conditions
    }

    /// The opportunities a join from another table may reach: the caller's scope, live,
    /// in the filter's pipeline (the figures of leads and history reach deals only so).
    func joinedDeals() -> SQLConditions {
        var conditions = SQLConditions(access.scope(Opportunity.self))
        conditions.add("archived = 0")
        if !filter.pipelineId.isEmpty { conditions.add("pipeline_id = ?", [filter.pipelineId]) }
        return conditions
    }

    /// The lead rows a join from deals may reach: the caller's scope on leads.
    func joinedLeads() -> SQLConditions {
        SQLConditions(access.scope(Lead.self))
    }

    /// Adds the filter's period on `period` to `conditions`.
    func period(_ period: Period, into conditions: inout SQLConditions) throws {
        switch period {
        case .date(let column):
            if !filter.fromDate.isEmpty { conditions.add("\(column) >= ?", [filter.fromDate]) }
            if !filter.toDate.isEmpty { conditions.add("\(column) <= ?", [filter.toDate]) }
        case .time(let column):
            if let from = calendar.bounds(of: filter.fromDate) { conditions.add("\(column) >= ?", [from.startMs]) }
            if let to = calendar.bounds(of: filter.toDate) { conditions.add("\(column) < ?", [to.endMs]) }
        }
    }

    // MARK: Groups

    /// The SQL value of a row's group key on a table with the deal columns (`owner_user_id`,
    /// `team_id`, `source`, `pipeline_id`); MONTH is the month of `period`.
    func group(_ period: Period) throws -> SQLConditions.Fragment {
        switch filter.groupBy {
        case .owner: ("owner_user_id", [])
        case .team: ("team_id", [])
        case .source: ("source", [])
        case .pipeline: ("pipeline_id", [])
        case .month: try month(period)
        default: ("''", [])
        }
    }

    /// The month (`YYYY-MM`) of `period`'s value: a date's first seven characters; a
    /// time's month in the tenant's time zone, from the month starts of the filter's
    /// range (required then: SQLite knows no time zones).
    private func month(_ period: Period) throws -> SQLConditions.Fragment {
        switch period {
        case .date(let column):
            return ("substr(\(column), 1, 7)", [])
        case .time(let column):
            var validation = Validation()
            validation.check(!filter.fromDate.isEmpty, "filter.from_date", .required, "is required to group by month")
            validation.check(!filter.toDate.isEmpty, "filter.to_date", .required, "is required to group by month")
            try validation.throwIfInvalid()
            let months = Self.months(from: filter.fromDate, to: filter.toDate)
            var validationOfRange = Validation()
            validationOfRange.check(months.count <= Self.maximumMonths, "filter.to_date", .outOfRange, "spans more than \(Self.maximumMonths) months")
            try validationOfRange.throwIfInvalid()
            // Months newest first: the first start at or before the time is its month.
            var sql = "CASE"
            var arguments: StatementArguments = []
            for month in months.reversed() {
                sql += " WHEN \(column) >= ? THEN ?"
                arguments += [calendar.bounds(of: month + "-01")?.startMs ?? 0, month]
            }
            return (sql + " ELSE '' END", arguments)
        }
    }

    /// The months `YYYY-MM` from the month of `from` to that of `to`, both valid dates.
    static func months(from: String, to: String) -> [String] {
        guard var year = Int(from.prefix(4)), var month = Int(from.dropFirst(5).prefix(2)) else { return [] }
        let last = String(to.prefix(7))
        var months: [String] = []
        while months.count <= maximumMonths {
            let current = "\(year)-\(month < 10 ? "0" : "")\(month)"
            months.append(current)
            if current >= last { break }
            (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
        }
        return months
    }

    /// The group key of a row whose group column holds `value`.
    func key(_ value: DatabaseValue) -> AnalyticsGroupKey {
        switch filter.groupBy {
        case .owner: AnalyticsGroupKey(ownerUserId: String.fromDatabaseValue(value) ?? "")
        case .team: AnalyticsGroupKey(teamId: String.fromDatabaseValue(value) ?? "")
        case .source: AnalyticsGroupKey(source: LeadSource(rawValue: Int32.fromDatabaseValue(value) ?? 0))
        case .pipeline: AnalyticsGroupKey(pipelineId: String.fromDatabaseValue(value) ?? "")
        case .month: AnalyticsGroupKey(month: String.fromDatabaseValue(value) ?? "")
        default: AnalyticsGroupKey()
        }
    }

    // MARK: Values

    /// `minor` in the figures' currency.
    func money(_ minor: Int64) -> Money {
        Money(currencyCode: currency, amountMinor: minor)
    }
}

/// SQL conditions joined with AND, with their arguments in order.
struct SQLConditions {
    typealias Fragment = (sql: String, arguments: StatementArguments)

    private var terms: [String]
    private(set) var arguments: StatementArguments

    init(_ first: Fragment) {
        terms = [first.sql]
        arguments = first.arguments
    }

    mutating func add(_ term: String, _ arguments: StatementArguments = []) {
        terms.append(term)
        self.arguments += arguments
    }

    var sql: String { terms.joined(separator: " AND ") }
}
