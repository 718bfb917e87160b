import SFAStubs

/// The fiscal year of a tenant (`TenantSettings.fiscal_year_start_month`, 0 =
/// January): FY*n* starts on the first day of that month in calendar year *n*
/// (Japan's FY2026 runs from 2026-04 to 2027-03), in months `YYYY-MM`.
struct FiscalCalendar {
    /// One period: its months, its first and last dates, its label.
    struct Period {
        let months: [String]
        let label: String
        var fromDate: String { months[0] + "-01" }
        var toDate: String { months[months.count - 1] + "-" + FiscalCalendar.lastDay(of: months[months.count - 1]) }
    }

    let startMonth: Int

    init(_ settings: TenantSettings) {
        startMonth = (1...12).contains(settings.fiscalYearStartMonth) ? Int(settings.fiscalYearStartMonth) : 1
    }

    /// The twelve months of fiscal year `year`.
    func months(of year: Int32) -> [String] {
        (0..<12).map { offset in
            let index = startMonth - 1 + offset
            let (calendarYear, month) = (Int(year) + index / 12, index % 12 + 1)
            return "\(calendarYear)-\(month < 10 ? "0" : "")\(month)"
        }
    }

    /// The periods of fiscal year `year`: its months or its quarters.
    func periods(of year: Int32, _ interval: ForecastInterval) -> [Period] {
        let months = months(of: year)
        if interval == .quarter {
            return (0..<4).map { Period(months: Array(months[3 * $0..<3 * $0 + 3]), label: "FY\(year)-Q\($0 + 1)") }
        }
        return months.indices.map { Period(months: [months[$0]], label: "FY\(year)-M\($0 < 9 ? "0" : "")\($0 + 1)") }
    }

    /// The whole fiscal year as one period.
    func year(_ year: Int32) -> Period {
        Period(months: months(of: year), label: "FY\(year)")
    }

    /// The last day of `month` (`YYYY-MM`), two digits.
    static func lastDay(of month: String) -> String {
        let (year, number) = (Int(month.prefix(4)) ?? 1970, Int(month.suffix(2)) ?? 1)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return String([31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][number - 1])
    }
}
