import Foundation
import SFAStubs

/// The analytics figures of a generated dataset, computed in plain Swift from the
/// generated values: what the server's SQL must answer.
extension AnalyticsDataset {
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// n / d for n ≥ 0, d > 0, rounded half up (= half away from zero here); 0 when d is 0.
    static func rounded(_ n: Int128, _ d: Int128) -> Int64 {
        d == 0 ? 0 : Int64((2 * n + d) / (2 * d))
    }

    static func bps(_ part: Int64, _ whole: Int64) -> Int32 { Int32(rounded(Int128(part) * 10_000, Int128(whole))) }

    static func usd(_ minor: Int64) -> Money { Money(currencyCode: "USD", amountMinor: minor) }

    func liveDeals(_ sees: (Opportunity) -> Bool) -> [GeneratedDeal] {
        deals.filter { !$0.deal.archived && sees($0.deal) }
    }

    func pipelineSummary(_ sees: (Opportunity) -> Bool, pipeline: Pipeline, now: Int64) -> GetPipelineSummaryResponse {
        var response = GetPipelineSummaryResponse()
        let open = liveDeals(sees).map(\.deal).filter { $0.state == .open }
        let groups = Dictionary(grouping: open) { deal in "\(deal.ownerUserId) \(deal.stageId)" }
        for (_, deals) in groups {
            let stageID = deals[0].stageId
            let position = Int32(pipeline.stages.firstIndex { $0.id == stageID }!)
            let usd = deals.filter { $0.amount!.currencyCode == "USD" }
            let ages: [Int64] = deals.map { now - $0.stageEnterTimeMs }
            response.stages.append(PipelineStageSummary(
                group: AnalyticsGroupKey(ownerUserId: deals[0].ownerUserId),
                pipelineId: pipeline.id,
                stageId: deals[0].stageId,
                stageName: pipeline.stages[Int(position)].name,
                stagePosition: position,
                opportunityCount: Int64(deals.count),
                amount: Self.usd(usd.map { $0.amount!.amountMinor }.reduce(0, +)),
                weightedAmount: Self.usd(usd.map { $0.weightedAmount!.amountMinor }.reduce(0, +)),
                averageAgeInStageMs: Self.rounded(Int128(ages.reduce(0, +)), Int128(deals.count))
            ))
        }
        response.stages.sort { ($0.group!.ownerUserId, $0.stagePosition) < ($1.group!.ownerUserId, $1.stagePosition) }
        let usd = open.filter { $0.amount!.currencyCode == "USD" }
        response.opportunityCount = Int64(open.count)
        response.amount = Self.usd(usd.map { $0.amount!.amountMinor }.reduce(0, +))
        response.weightedAmount = Self.usd(usd.map { $0.weightedAmount!.amountMinor }.reduce(0, +))
        response.excludedOtherCurrencyCount = Int64(open.count - usd.count)
        return response
    }

    func salesMetrics(_ sees: (Opportunity) -> Bool, _ seesLead: (Lead) -> Bool, filter: AnalyticsFilter) -> GetSalesMetricsResponse {
        let deals = liveDeals(sees).map(\.deal).filter { deal in
            let date = deal.closedDate.isEmpty ? deal.expectedCloseDate : deal.closedDate
            return date >= filter.fromDate && date <= filter.toDate && (filter.teamIds.isEmpty || filter.teamIds.contains(deal.teamId))
        }
        let readableLeads = Dictionary(uniqueKeysWithValues: leads.map(\.lead).filter(seesLead).map { ($0.id, $0) })
        func metrics(_ deals: [Opportunity], group: AnalyticsGroupKey) -> SalesMetrics {
            let won = deals.filter { $0.state == .won }
            let lost = deals.filter { $0.state == .lost }
            let open = deals.filter { $0.state == .open }
            func usdSum(_ deals: [Opportunity]) -> Int64 { deals.filter { $0.amount!.currencyCode == "USD" }.map { $0.amount!.amountMinor }.reduce(0, +) }
            let wonUSD = won.filter { $0.amount!.currencyCode == "USD" }.count
            let (wonAmount, lostAmount) = (usdSum(won), usdSum(lost))
            let cycle = won.map { $0.closedTimeMs - $0.createTimeMs }.reduce(0, +)
            let fromLeads = won.compactMap { deal in readableLeads[deal.sourceLeadId].map { deal.closedTimeMs - $0.createTimeMs } }
            // open × (won amount / won) × (won / closed) ÷ (cycle / won / day)
            let numerator = Int128(open.count) * Int128(wonAmount) * Int128(won.count) * Int128(won.count) * 86_400_000
            let denominator = Int128(wonUSD) * Int128(won.count + lost.count) * Int128(cycle)
            return SalesMetrics(
                group: group,
                wonCount: Int64(won.count),
                lostCount: Int64(lost.count),
                openCount: Int64(open.count),
                wonAmount: Self.usd(wonAmount),
                lostAmount: Self.usd(lostAmount),
                openAmount: Self.usd(usdSum(open)),
                winRateBps: Self.bps(Int64(won.count), Int64(won.count + lost.count)),
                winRateByAmountBps: Self.bps(wonAmount, wonAmount + lostAmount),
                averageDealSize: Self.usd(Self.rounded(Int128(wonAmount), Int128(wonUSD))),
                averageSalesCycleMs: Self.rounded(Int128(cycle), Int128(won.count)),
                averageLeadToWonMs: Self.rounded(Int128(fromLeads.reduce(0, +)), Int128(fromLeads.count)),
                leadToWonCount: Int64(fromLeads.count),
                salesVelocityPerDay: Self.usd(Self.rounded(numerator, denominator))
            )
        }
        var response = GetSalesMetricsResponse()
        let key: (Opportunity) -> String = filter.groupBy == .team ? { $0.teamId } : { $0.ownerUserId }
        response.rows = Dictionary(grouping: deals, by: key).sorted { $0.key < $1.key }.map { group, deals in
            metrics(deals, group: filter.groupBy == .team ? AnalyticsGroupKey(teamId: group) : AnalyticsGroupKey(ownerUserId: group))
        }
        response.total = metrics(deals, group: AnalyticsGroupKey())
        response.excludedOtherCurrencyCount = Int64(deals.filter { $0.amount!.currencyCode != "USD" }.count)
        return response
    }

    func funnel(_ sees: (Opportunity) -> Bool, _ seesLead: (Lead) -> Bool) -> GetFunnelResponse {
        let readableDeals = Dictionary(uniqueKeysWithValues: liveDeals(sees).map { ($0.deal.id, $0.deal) })
        func row(_ leads: [Lead], group: AnalyticsGroupKey) -> FunnelRow {
            let deals: [(Lead, Opportunity)] = leads.compactMap { lead in
                guard let deal = readableDeals[lead.convertedOpportunityId] else { return nil }
                return (lead, deal)
            }
            let won = deals.filter { $0.1.state == .won }
            let mql: Int = leads.filter { $0.mqlTimeMs > 0 || $0.sqlTimeMs > 0 || $0.convertedTimeMs > 0 }.count
            let sql: Int = leads.filter { $0.sqlTimeMs > 0 || $0.convertedTimeMs > 0 }.count
            let converted: Int = leads.filter { $0.convertedTimeMs > 0 }.count
            let counts: [Int64] = [leads.count, mql, sql, converted, deals.count, won.count].map { Int64($0) }
            let times: [[Int64]] = [
                [],
                leads.filter { $0.mqlTimeMs > 0 }.map { $0.mqlTimeMs - $0.createTimeMs },
                leads.filter { $0.mqlTimeMs > 0 && $0.sqlTimeMs > 0 }.map { $0.sqlTimeMs - $0.mqlTimeMs },
                leads.filter { $0.sqlTimeMs > 0 && $0.convertedTimeMs > 0 }.map { $0.convertedTimeMs - $0.sqlTimeMs },
                deals.map { $0.1.createTimeMs - $0.0.convertedTimeMs },
                won.map { $0.1.closedTimeMs - $0.1.createTimeMs },
            ]
            let steps: [FunnelStep] = [.lead, .mql, .sql, .converted, .opportunity, .won]
            return FunnelRow(
                group: group,
                steps: steps.indices.map { index in
                    FunnelStepCount(
                        step: steps[index],
                        leadCount: counts[index],
                        conversionFromPreviousBps: Self.bps(counts[index], counts[max(index - 1, 0)]),
                        conversionFromFirstBps: Self.bps(counts[index], counts[0]),
                        averageTimeFromPreviousMs: Self.rounded(Int128(times[index].reduce(0, +)), Int128(times[index].count))
                    )
                },
                wonAmount: Self.usd(won.filter { $0.1.amount!.currencyCode == "USD" }.map { $0.1.amount!.amountMinor }.reduce(0, +))
            )
        }
        let readable = leads.map(\.lead).filter(seesLead)
        var response = GetFunnelResponse()
        response.rows = Dictionary(grouping: readable, by: \.source.rawValue).sorted { $0.key < $1.key }.map { source, leads in
            row(leads, group: AnalyticsGroupKey(source: LeadSource(rawValue: source)))
        }
        response.total = row(readable, group: AnalyticsGroupKey())
        response.excludedOtherCurrencyCount = Int64(readable.filter { lead in
            readableDeals[lead.convertedOpportunityId].map { $0.state == .won && $0.amount!.currencyCode != "USD" } ?? false
        }.count)
        return response
    }

    func stageConversion(_ sees: (Opportunity) -> Bool, pipeline: Pipeline, cumulative: Bool) -> GetStageConversionResponse {
        let deals = liveDeals(sees)
        var response = GetStageConversionResponse()
        for stage in 0..<5 {
            let stays = deals.flatMap(\.stays).filter { $0.stage == stage }
            let entered: Int
            let advanced: Int
            if cumulative {
                // Deals, by the furthest open stage reached; won is past them all.
                func furthest(_ deal: GeneratedDeal) -> Int {
                    deal.stays.map { stay -> Int in stay.stage == 5 ? 1_000_000 : stay.stage == 6 ? -1 : stay.stage }.max()!
                }
                entered = deals.filter { furthest($0) >= stage }.count
                advanced = deals.filter { furthest($0) > stage }.count
            } else {
                // Stays, advanced when next to won or to a later open stage.
                entered = stays.count
                advanced = stays.filter { stay in stay.next.map { $0 == 5 || ($0 < 5 && $0 > stage) } ?? false }.count
            }
            guard entered > 0 else { continue }
            let ended: [Stay] = stays.filter { $0.leaveMs != nil }
            let durations: [Int64] = ended.map { $0.leaveMs! - $0.enterMs }.sorted()
            let half = durations.count / 2
            let middle: [Int64] = durations.isEmpty ? [] : durations.count % 2 == 1 ? [durations[half]] : [durations[half - 1], durations[half]]
            response.stages.append(StageConversion(
                group: AnalyticsGroupKey(),
                pipelineId: pipeline.id,
                stageId: pipeline.stages[stage].id,
                stageName: pipeline.stages[stage].name,
                stagePosition: Int32(stage),
                enteredCount: Int64(entered),
                advancedCount: Int64(advanced),
                lostCount: Int64(stays.filter { $0.next == 6 }.count),
                conversionBps: Self.bps(Int64(advanced), Int64(entered)),
                endedStayCount: Int64(durations.count),
                meanTimeInStageMs: Self.rounded(Int128(durations.reduce(0, +)), Int128(durations.count)),
                medianTimeInStageMs: Self.rounded(Int128(middle.reduce(0, +)), Int128(middle.count))
            ))
        }
        return response
    }
}

extension AnalyticsDataset {
    /// The forecast of FY`year` (April start) by quarter, each row measured against
    /// its `targets` (row key → month → USD minor units; "" ungrouped).
    func forecast(
        _ sees: (Opportunity) -> Bool, year: Int, groupBy: AnalyticsGrouping, targets: [String: [String: Int64]]
    ) -> GetForecastResponse {
        let from = "\(year)-04-01"
        let to = "\(year + 1)-03-31"
        let quarters: [(String, String, String)] = [
            ("\(year)-04-01", "\(year)-06-30", "FY\(year)-Q1"), ("\(year)-07-01", "\(year)-09-30", "FY\(year)-Q2"),
            ("\(year)-10-01", "\(year)-12-31", "FY\(year)-Q3"), ("\(year + 1)-01-01", "\(year + 1)-03-31", "FY\(year)-Q4"),
        ]
        let deals = liveDeals(sees).map(\.deal).filter { deal in
            let date = deal.closedDate.isEmpty ? deal.expectedCloseDate : deal.closedDate
            return date >= from && date <= to
        }
        func date(_ deal: Opportunity) -> String { deal.closedDate.isEmpty ? deal.expectedCloseDate : deal.closedDate }
        func period(_ deals: [Opportunity], _ range: (String, String, String), group: AnalyticsGroupKey, targets: [String: Int64]) -> ForecastPeriod {
            let inRange = deals.filter { date($0) >= range.0 && date($0) <= range.1 }
            let usd = inRange.filter { $0.amount!.currencyCode == "USD" }
            func sum(_ category: ForecastCategory) -> Int64 { usd.filter { $0.forecastCategory == category }.map { $0.amount!.amountMinor }.reduce(0, +) }
            let target = targets.filter { $0.key >= String(range.0.prefix(7)) && $0.key <= String(range.1.prefix(7)) }.values.reduce(0, +)
            let closed = sum(.closed)
            let commit = closed + sum(.commit)
            let categories = Dictionary(grouping: inRange, by: \.forecastCategory).sorted { $0.key.rawValue < $1.key.rawValue }.map { category, deals in
                let usd = deals.filter { $0.amount!.currencyCode == "USD" }
                return ForecastCategoryTotal(
                    category: category, opportunityCount: Int64(deals.count), amount: Self.usd(usd.map { $0.amount!.amountMinor }.reduce(0, +)),
                    weightedAmount: Self.usd(usd.map { $0.weightedAmount!.amountMinor }.reduce(0, +))
                )
            }
            return ForecastPeriod(
                group: group, fromDate: range.0, toDate: range.1, label: range.2, categories: categories,
                closedAmount: Self.usd(closed), commitAmount: Self.usd(commit), mostLikelyAmount: Self.usd(commit + sum(.mostLikely)),
                bestCaseAmount: Self.usd(commit + sum(.mostLikely) + sum(.bestCase)),
                pipelineAmount: Self.usd(sum(.pipeline) + sum(.bestCase) + sum(.mostLikely) + sum(.commit)),
                targetAmount: Self.usd(target), attainmentBps: Self.bps(closed, target), commitAttainmentBps: Self.bps(commit, target)
            )
        }
        var response = GetForecastResponse()
        var groups: [String: [Opportunity]] = groupBy == .owner ? Dictionary(grouping: deals, by: \.ownerUserId) : ["": deals]
        for owner in targets.keys where groups[owner] == nil { groups[owner] = [] }
        for (key, deals) in groups.sorted(by: { $0.key < $1.key }) {
            let group = groupBy == .owner ? AnalyticsGroupKey(ownerUserId: key) : AnalyticsGroupKey()
            response.periods += quarters.map { period(deals, $0, group: group, targets: targets[key] ?? [:]) }
            response.years.append(period(deals, (from, to, "FY\(year)"), group: group, targets: targets[key] ?? [:]))
        }
        response.excludedOtherCurrencyCount = Int64(deals.filter { $0.amount!.currencyCode != "USD" }.count)
        return response
    }
}

extension AnalyticsDataset {
    /// The activity figures per owner and week (Monday) of the owners `sees` reads,
    /// with dates from `from` to `to`.
    func activityKpis(_ sees: (String) -> Bool, from: String, to: String) -> GetActivityKpisResponse {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        func monday(_ date: String) -> String {
            let parts = date.split(separator: "-").compactMap { Int($0) }
            let day = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))!
            let back = (calendar.component(.weekday, from: day) + 5) % 7
            let start = calendar.dateComponents([.year, .month, .day], from: calendar.date(byAdding: .day, value: -back, to: day)!)
            return String(format: "%04d-%02d-%02d", start.year!, start.month!, start.day!)
        }
        let activities = activities.filter { !$0.archived && sees($0.ownerUserId) && $0.activityDate >= from && $0.activityDate <= to }
        let consultations = consultations.filter { !$0.archived && sees($0.ownerUserId) && $0.consultationDate >= from && $0.consultationDate <= to }
        func kpis(_ activities: [Activity], _ consultations: [Consultation], owner: String, start: String) -> ActivityKpis {
            let done = activities.filter { $0.state == .done }
            let calls = done.filter { $0.kind == .call }
            let connected = Int64(calls.filter { $0.callResult == .connected }.count)
            return ActivityKpis(
                ownerUserId: owner, periodStart: start,
                doneByKind: Dictionary(grouping: done, by: \.kind).sorted { $0.key.rawValue < $1.key.rawValue }.map {
                    ActivityKindCount(kind: $0.key, count: Int64($0.value.count))
                },
                doneCount: Int64(done.count), plannedCount: Int64(activities.filter { $0.state == .planned }.count),
                cancelledCount: Int64(activities.filter { $0.state == .cancelled }.count), consultationCount: Int64(consultations.count),
                callCount: Int64(calls.count), connectedCallCount: connected, callConnectRateBps: Self.bps(connected, Int64(calls.count)),
                timeSpentMs: done.map(\.durationMs).reduce(0, +)
            )
        }
        let keys = Set(activities.map { "\($0.ownerUserId) \(monday($0.activityDate))" } + consultations.map { "\($0.ownerUserId) \(monday($0.consultationDate))" })
        var response = GetActivityKpisResponse()
        response.rows = keys.sorted().map { key in
            let parts = key.split(separator: " ").map(String.init)
            return kpis(
                activities.filter { $0.ownerUserId == parts[0] && monday($0.activityDate) == parts[1] },
                consultations.filter { $0.ownerUserId == parts[0] && monday($0.consultationDate) == parts[1] }, owner: parts[0], start: parts[1]
            )
        }
        response.total = kpis(activities, consultations, owner: "", start: "")
        return response
    }
}
