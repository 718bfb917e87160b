import Synchronization

/// Hands out the calls of a run, in order, to the workers that make them: each ticket
/// says when its call is due. With a fixed rate, call `i` is due at `start + i / rate`
/// whatever happened to earlier calls, and its latency is measured from then; in a
/// closed loop a call is due when a worker asks for it.
public final class ArrivalSchedule: Sendable {
    /// One call to make.
    public struct Ticket: Sendable, Equatable {
        /// 0, 1, 2, … in the order the calls are due.
        public var index: Int
        /// When the call should be sent: latency counts from here.
        public var due: ContinuousClock.Instant
        /// Due in the warm-up: made but not recorded.
        public var isWarmup: Bool
    }

    public let start: ContinuousClock.Instant
    private let rate: Double?
    private let end: ContinuousClock.Instant?
    private let limit: Int?
    private let measureFrom: ContinuousClock.Instant
    private let issued = Atomic<Int>(0)

    public init(plan: LoadPlan, start: ContinuousClock.Instant) {
        self.start = start
        if case .fixedRate(let rate) = plan.pace { self.rate = rate } else { self.rate = nil }
        switch plan.stop {
        case .duration(let duration): (end, limit) = (start + plan.warmup + duration, nil)
        case .count(let count): (end, limit) = (nil, count)
        }
        measureFrom = start + plan.warmup
    }

    /// The next call, or nil when the run is over (its count reached, or its end
    /// passed: for a fixed rate, the next call would be due after the end).
    public func next(now: ContinuousClock.Instant = .now) -> Ticket? {
        let index = issued.wrappingAdd(1, ordering: .relaxed).oldValue
        if let limit, index >= limit { return nil }
        let due = rate.map { start + .nanoseconds(Int64((Double(index) * 1e9 / $0).rounded())) } ?? now
        if let end, due >= end { return nil }
        return Ticket(index: index, due: due, isWarmup: due < measureFrom)
    }

    /// Calls handed out so far (may exceed the run's count by the workers that asked
    /// for one more).
    public var issuedCount: Int { issued.load(ordering: .relaxed) }
}
