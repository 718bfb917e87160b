import Foundation
import SFAStubs

/// Calendar dates (`YYYY-MM-DD`) in a tenant's time zone (`TenantSettings.time_zone`),
/// which decides "today", the day an activity counts on and report dates.
struct TenantCalendar {
    private let calendar: Calendar

    /// The calendar of `timeZone` (an IANA name; UTC when unknown).
    init(timeZone: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        self.calendar = calendar
    }

    /// The date of the instant `timeMs`.
    func date(ofMs timeMs: Int64) -> String {
        let day = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(timeMs) / 1000))
        return String(format: "%04d-%02d-%02d", day.year ?? 1970, day.month ?? 1, day.day ?? 1)
    }

    var today: String { date(ofMs: nowMs()) }

    /// The first millisecond of `date` (a valid date), and of the day after it; nil
    /// for a day outside what milliseconds since 1970 in an Int64 can hold.
    func bounds(of date: String) -> (startMs: Int64, endMs: Int64)? {
        guard let start = day(date), let end = calendar.date(byAdding: .day, value: 1, to: start),
            let startMs = Int64(exactly: (start.timeIntervalSince1970 * 1000).rounded()),
            let endMs = Int64(exactly: (end.timeIntervalSince1970 * 1000).rounded())
        else { return nil }
        return (startMs, endMs)
    }

    /// `date` (a valid date) plus `days`.
    func date(_ date: String, plus days: Int) -> String? {
        guard let start = day(date), let end = calendar.date(byAdding: .day, value: days, to: start) else { return nil }
        let day = calendar.dateComponents([.year, .month, .day], from: end)
        return String(format: "%04d-%02d-%02d", day.year ?? 1970, day.month ?? 1, day.day ?? 1)
    }

    /// The dates from `first` to `last`, both valid and included, with their weekdays.
    func dates(from first: String, through last: String) -> [(date: String, weekday: Weekday)] {
        guard var day = day(first), let end = self.day(last) else { return [] }
        var dates: [(String, Weekday)] = []
        while day <= end {
            // Calendar weekdays run Sunday = 1 … Saturday = 7; `Weekday` Monday = 1 … Sunday = 7.
            let weekday = Weekday(rawValue: Int32((calendar.component(.weekday, from: day) + 5) % 7 + 1))
            dates.append((date(ofMs: Int64(day.timeIntervalSince1970 * 1000)), weekday))
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return dates
    }

    private func day(_ date: String) -> Date? {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }
}
