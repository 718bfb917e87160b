public import SFAMessages

/// The pipeline data every tenant starts with, and how an opportunity's derived values
/// follow from its stage. Kept beside the schema because the migration that gave
/// existing tenants their pipelines repairs opportunities by the same rules the
/// services apply to every write.
public enum PipelineData {
    /// The default pipeline of a new tenant: a consultative B2B sale as Japanese sales
    /// teams run it, with Salesforce's forecast categories.
    public static func defaultPipeline(id: String, stageIDs: () -> String, createdBy: String, now: Int64) -> Pipeline {
        func stage(
            _ name: String, _ probability: Int32, _ category: ForecastCategory, closed: Bool = false, won: Bool = false, trigger: StageTrigger = .unspecified
        ) -> PipelineStage {
            PipelineStage(id: stageIDs(), name: name, defaultProbabilityPercent: probability, forecastCategory: category, isClosed: closed, isWon: won, trigger: trigger)
        }
        return Pipeline(
            id: id,
            version: 1,
            name: "Sales",
            description: "The default pipeline",
            stages: [
                stage("Initial consultation", 10, .pipeline),
                stage("Needs analysis", 20, .pipeline),
                stage("Proposal submitted", 40, .bestCase, trigger: .proposalSubmitted),
                stage("Quote presented", 60, .bestCase, trigger: .quotePresented),
                stage("Negotiation", 80, .commit),
                stage("Closed won", 100, .closed, closed: true, won: true),
                stage("Closed lost", 0, .omitted, closed: true),
            ],
            isDefault: true,
            createdByUserId: createdBy,
            createTimeMs: now,
            updateTimeMs: now
        )
    }
}

extension Opportunity {
    /// Sets what follows from being in `stage` of `pipelineID`: state, effective
    /// probability and forecast category (a closed stage's own, else the override or
    /// the stage default) and the weighted amount.
    public mutating func derive(in pipelineID: String, stage: PipelineStage) {
        pipelineId = pipelineID
        stageId = stage.id
        state = stage.isClosed ? (stage.isWon ? .won : .lost) : .open
        probabilityPercent = stage.isClosed ? stage.defaultProbabilityPercent : (probabilityOverridePercent ?? stage.defaultProbabilityPercent)
        forecastCategory = stage.isClosed || forecastCategoryOverride == .unspecified ? stage.forecastCategory : forecastCategoryOverride
        weightedAmount = amount.map { Money(currencyCode: $0.currencyCode, amountMinor: Self.weighted($0.amountMinor, percent: probabilityPercent)) }
    }

    /// `amount × percent / 100`, rounded half away from zero, in 128 bits. It runs
    /// before validation has bounded the percent, so it saturates rather than trap:
    /// the record is then refused for its percent, never computed wrongly and stored.
    public static func weighted(_ amount: Int64, percent: Int32) -> Int64 {
        let product = Int128(amount) * Int128(percent)
        let half: Int128 = product < 0 ? -50 : 50
        return Int64(clamping: (product + half) / 100)
    }

    /// The amount as a number comparable across currencies (scaled to the largest
    /// exponent; no exchange rates): what "amount" orders sort by. Amounts are bounded
    /// on write so that this cannot overflow.
    public var amountSortKey: Int64 {
        guard let amount else { return 0 }
        let exponent = ISO4217.exponent(of: amount.currencyCode) ?? 2
        var scale: Int64 = 1
        for _ in exponent..<ISO4217.maximumExponent { scale *= 10 }
        return amount.amountMinor.multipliedReportingOverflow(by: scale).overflow ? .max : amount.amountMinor * scale
    }

    /// The close date lists filter on: the actual one once closed.
    public var effectiveCloseDate: String { closedDate.isEmpty ? expectedCloseDate : closedDate }
}
