import Foundation
@testable import SFAServices
import SFAStubs

/// The second round of figures (stalled deals, lost reasons, daily-report
/// compliance, speed to lead, quote KPIs) computed in plain Swift from the generated
/// values.
extension AnalyticsDataset {
    /// Open deals per owner with their stall signs; the inactivity limit is the
    /// stage's rotting days, else `tenantDays`; pushed = at least two pushes.
    func stalledDeals(_ sees: (Opportunity) -> Bool, pipeline: Pipeline, tenantDays: Int32, now: Int64, today: String) -> GetStalledDealsResponse {
        let open = liveDeals(sees).map(\.deal).filter { $0.state == .open }
        func signs(_ deal: Opportunity) -> [StalledReason] {
            let stage = pipeline.stages.first { $0.id == deal.stageId }!
            let days = Int64(stage.rottingDays > 0 ? stage.rottingDays : tenantDays)
            let since = max(deal.lastActivityTimeMs, deal.createTimeMs)
            return [
                since < now - days * Self.day ? StalledReason.inactive : nil, deal.expectedCloseDate < today ? .pastDue : nil,
                deal.nextActivityTimeMs == 0 ? .noNextActivity : nil, deal.closeDatePushCount >= 2 ? .closeDatePushed : nil,
            ].compactMap { $0 }
        }
        func summary(_ deals: [Opportunity], group: AnalyticsGroupKey) -> StalledDealsSummary {
            let stalled = deals.filter { !signs($0).isEmpty }
            func count(_ reason: StalledReason) -> Int64 { Int64(stalled.filter { signs($0).contains(reason) }.count) }
            return StalledDealsSummary(
                group: group, openCount: Int64(deals.count), stalledCount: Int64(stalled.count),
                stalledAmount: Self.usd(stalled.filter { $0.amount!.currencyCode == "USD" }.map { $0.amount!.amountMinor }.reduce(0, +)),
                inactiveCount: count(.inactive), pastDueCount: count(.pastDue), noNextActivityCount: count(.noNextActivity),
                closeDatePushedCount: count(.closeDatePushed)
            )
        }
        var response = GetStalledDealsResponse()
        response.rows = Dictionary(grouping: open, by: \.ownerUserId).sorted { $0.key < $1.key }.map {
            summary($0.value, group: AnalyticsGroupKey(ownerUserId: $0.key))
        }
        response.total = summary(open, group: AnalyticsGroupKey())
        let stalled = open.filter { !signs($0).isEmpty }.map { (deal: $0, since: max($0.lastActivityTimeMs, $0.createTimeMs)) }
        response.deals = stalled.sorted { ($0.since, $0.deal.id) < ($1.since, $1.deal.id) }.prefix(100).map { deal, since in
            StalledDeal(
                opportunityId: deal.id, ownerUserId: deal.ownerUserId, pipelineId: deal.pipelineId, stageId: deal.stageId, amount: deal.amount,
                expectedCloseDate: deal.expectedCloseDate, lastActivityTimeMs: deal.lastActivityTimeMs, nextActivityTimeMs: deal.nextActivityTimeMs,
                inactiveDays: Int32((now - since) / Self.day), closeDatePushCount: deal.closeDatePushCount, reasons: signs(deal)
            )
        }
        response.excludedOtherCurrencyCount = Int64(open.filter { $0.amount!.currencyCode != "USD" }.count)
        return response
    }

    /// Lost deals closed from `from` to `to` per owner and reason; `labels` by key.
    func lostReasons(_ sees: (Opportunity) -> Bool, from: String, to: String, labels: [String: String]) -> GetLostReasonsResponse {
        let lost = liveDeals(sees).map(\.deal).filter { $0.state == .lost && $0.closedDate >= from && $0.closedDate <= to }
        func counts(_ group: [Opportunity], key: AnalyticsGroupKey) -> [LostReasonCount] {
            Dictionary(grouping: group, by: \.lostReason).map { reason, deals in
                LostReasonCount(
                    group: key, lostReason: reason, label: labels[reason] ?? "", lostCount: Int64(deals.count),
                    lostAmount: Self.usd(deals.filter { $0.amount!.currencyCode == "USD" }.map { $0.amount!.amountMinor }.reduce(0, +)),
                    shareBps: Self.bps(Int64(deals.count), Int64(group.count))
                )
            }.sorted { ($1.lostCount, $0.lostReason) < ($0.lostCount, $1.lostReason) }
        }
        var response = GetLostReasonsResponse()
        response.reasons = Dictionary(grouping: lost, by: \.ownerUserId).sorted { $0.key < $1.key }.flatMap {
            counts($0.value, key: AnalyticsGroupKey(ownerUserId: $0.key))
        }
        response.totals = counts(lost, key: AnalyticsGroupKey())
        response.lostCount = Int64(lost.count)
        response.lostAmount = Self.usd(lost.filter { $0.amount!.currencyCode == "USD" }.map { $0.amount!.amountMinor }.reduce(0, +))
        response.excludedOtherCurrencyCount = Int64(lost.filter { $0.amount!.currencyCode != "USD" }.count)
        return response
    }

    /// Per reporter (its id → the date it was created: it owes no earlier day), the
    /// working days (Monday to Friday minus `holidays`) from `from` to `to` against
    /// its reports, on time by the end of the date (in `timeZone`) plus `graceHours`.
    func dailyReportCompliance(
        reporters: [String: String], from: String, to: String, holidays: Set<String>, graceHours: Int64, timeZone: String = "UTC"
    ) -> GetDailyReportComplianceResponse {
        let calendar = TenantCalendar(timeZone: timeZone)
        let working = Set(calendar.dates(from: from, through: to).filter { $0.weekday.rawValue <= 5 && !holidays.contains($0.date) }.map(\.date))
        func rated(_ figures: DailyReportCompliance) -> DailyReportCompliance {
            var rated = figures
            rated.submissionRateBps = Self.bps(figures.workingDayCount - figures.missingCount, figures.workingDayCount)
            rated.onTimeRateBps = Self.bps(figures.onTimeCount, figures.submittedCount)
            return rated
        }
        var response = GetDailyReportComplianceResponse()
        var total = DailyReportCompliance()
        for (user, created) in reporters.sorted(by: { $0.key < $1.key }) {
            let owed = working.filter { $0 >= created }
            let reports = dailyReports.filter { $0.ownerUserId == user && $0.reportDate >= from && $0.reportDate <= to }
            let handedIn = reports.filter { $0.submitTimeMs > 0 }
            let figures = DailyReportCompliance(
                ownerUserId: user,
                workingDayCount: Int64(owed.count),
                submittedCount: Int64(handedIn.count),
                onTimeCount: Int64(handedIn.filter { $0.submitTimeMs < calendar.bounds(of: $0.reportDate)!.endMs + graceHours * 3_600_000 }.count),
                approvedCount: Int64(reports.filter { $0.status == .approved }.count),
                returnedCount: Int64(reports.filter { $0.status == .returned }.count),
                pendingCount: Int64(reports.filter { $0.status == .submitted }.count),
                missingCount: Int64(owed.subtracting(handedIn.map(\.reportDate)).count)
            )
            total.workingDayCount += figures.workingDayCount
            total.submittedCount += figures.submittedCount
            total.onTimeCount += figures.onTimeCount
            total.approvedCount += figures.approvedCount
            total.returnedCount += figures.returnedCount
            total.pendingCount += figures.pendingCount
            total.missingCount += figures.missingCount
            response.rows.append(rated(figures))
        }
        response.total = rated(total)
        return response
    }

    /// Per lead source, the leads and their first touch: the earliest done activity
    /// or live consultation on the lead at or after its creation, whoever's.
    func speedToLead(_ seesLead: (Lead) -> Bool) -> GetSpeedToLeadResponse {
        let visible = leads.map(\.lead).filter(seesLead)
        func response(_ lead: Lead) -> Int64? {
            let touches = activities.filter {
                $0.leadId == lead.id && $0.state == .done && !$0.archived && $0.activityTimeMs >= lead.createTimeMs
            }.map(\.activityTimeMs) + consultations.filter {
                $0.leadId == lead.id && !$0.archived && $0.startTimeMs >= lead.createTimeMs
            }.map(\.startTimeMs)
            return touches.min().map { $0 - lead.createTimeMs }
        }
        func figures(_ leads: [Lead], group: AnalyticsGroupKey) -> SpeedToLead {
            let times = leads.compactMap(response).sorted()
            return SpeedToLead(
                group: group, leadCount: Int64(leads.count), contactedCount: Int64(times.count), contactedRateBps: Self.bps(Int64(times.count), Int64(leads.count)),
                averageResponseMs: Self.rounded(Int128(times.reduce(0, +)), Int128(times.count)),
                medianResponseMs: times.isEmpty ? 0 : Self.rounded(Int128(times[(times.count - 1) / 2] + times[times.count / 2]), 2),
                withinHourCount: Int64(times.filter { $0 <= 3_600_000 }.count), withinDayCount: Int64(times.filter { $0 <= Self.day }.count)
            )
        }
        var answer = GetSpeedToLeadResponse()
        answer.rows = Dictionary(grouping: visible, by: \.source).sorted { $0.key.rawValue < $1.key.rawValue }.map {
            figures($0.value, group: AnalyticsGroupKey(source: $0.key))
        }
        answer.total = figures(visible, group: AnalyticsGroupKey())
        return answer
    }

    /// Per quote owner, the quotes past draft the caller reads (`seesOwner`), and the
    /// quoted and won deals among theirs that it reads (`seesDeal`) and are live: a
    /// quote on any other deal counts as a quote, not as a quoted deal.
    func quoteKpis(seesOwner: (String) -> Bool, seesDeal: (Opportunity) -> Bool) -> GetQuoteKpisResponse {
        let counted = quotes.filter { ($0.submitTimeMs > 0 || $0.presentTimeMs > 0) && seesOwner($0.ownerUserId) }
        let readable = liveDeals(seesDeal).map(\.deal)
        let (read, won) = (Set(readable.map(\.id)), Set(readable.filter { $0.state == .won }.map(\.id)))
        func kpis(_ quotes: [Quote], group: AnalyticsGroupKey) -> QuoteKpis {
            let usd = quotes.filter { $0.currencyCode == "USD" }
            let (subtotal, discount) = (usd.map { $0.subtotal!.amountMinor }.reduce(0, +), usd.map { $0.discountTotal!.amountMinor }.reduce(0, +))
            let decided = quotes.filter { $0.requiresApproval && $0.approvalDecisionTimeMs > 0 && $0.submitTimeMs > 0 }
            let deals = Set(quotes.map(\.opportunityId)).intersection(read)
            return QuoteKpis(
                group: group, quoteCount: Int64(quotes.count),
                averageDiscountBps: Int32(Self.rounded(Int128(quotes.map { Int64($0.effectiveDiscountBps) }.reduce(0, +)), Int128(quotes.count))),
                subtotal: Self.usd(subtotal), discountTotal: Self.usd(discount), weightedDiscountBps: Self.bps(discount, subtotal),
                approvalRequiredCount: Int64(quotes.filter(\.requiresApproval).count), approvalDecidedCount: Int64(decided.count),
                averageApprovalTurnaroundMs: Self.rounded(Int128(decided.map { $0.approvalDecisionTimeMs - $0.submitTimeMs }.reduce(0, +)), Int128(decided.count)),
                quotedDealCount: Int64(deals.count), wonDealCount: Int64(deals.intersection(won).count),
                quoteToWonBps: Self.bps(Int64(deals.intersection(won).count), Int64(deals.count)),
                excludedOtherCurrencyCount: Int64(quotes.count - usd.count)
            )
        }
        var response = GetQuoteKpisResponse()
        response.rows = Dictionary(grouping: counted, by: \.ownerUserId).sorted { $0.key < $1.key }.map {
            kpis($0.value, group: AnalyticsGroupKey(ownerUserId: $0.key))
        }
        response.total = kpis(counted, group: AnalyticsGroupKey())
        return response
    }
}
