import SFAClient
import SFARPC
import SFATransport
import Synchronization

/// Calls completed so far in a run, for a live progress line.
public final class LoadProgress: Sendable {
    private let succeededCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)

    public init() {}

    public var succeeded: Int { succeededCount.load(ordering: .relaxed) }
    public var failed: Int { failedCount.load(ordering: .relaxed) }

    func add(succeeded: Bool) {
        if succeeded {
            succeededCount.wrappingAdd(1, ordering: .relaxed)
        } else {
            failedCount.wrappingAdd(1, ordering: .relaxed)
        }
    }
}

/// Runs a scenario against a server: `inFlight` workers share `connections`
/// multiplexed connections, each taking the next call from an ``ArrivalSchedule``,
/// a tenant by the skew and a step by weight, and recording into its own
/// ``LatencyRecorder``; the recorders are merged at the end.
///
/// The fixtures need not be different tenants: several users of one tenant, each with
/// its own key and records, make a team's day in one tenant.
public enum LoadRunner {
    /// What a run measured.
    public struct Outcome: Sendable {
        public var recorder: LatencyRecorder
        /// From the end of the warm-up to the end of the last call.
        public var elapsed: Duration
    }

    /// Runs until the plan's stop, or until the calling task is cancelled: then the
    /// workers take no further call (calls in flight end as cancelled) and the run
    /// returns what it measured so far.
    ///
    /// - Parameter observer: told of every call that succeeded, warm-up included (see
    ///   ``LoadReply``); `nil`, the default, costs the calls nothing.
    /// - Throws: `RPCError` `UNAVAILABLE` when the server cannot be reached.
    public static func run(
        plan: LoadPlan,
        scenario: Scenario,
        tenants: [TenantFixture],
        skew: TenantSkew,
        progress: LoadProgress = LoadProgress(),
        seed: UInt64 = UInt64.random(in: 0...UInt64.max),
        observer: LoadObserver? = nil
    ) async throws -> Outcome {
        guard !tenants.isEmpty else { throw LoadError("no tenants: give a keys file or run sfa-load setup") }
        var connections: [any LoadConnection] = []
        do {
            for _ in 0..<plan.connections { connections.append(try await connect(plan)) }
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
        let picker = TenantPicker(count: tenants.count, skew: skew)
        let firstCalls = FirstCalls(fixtures: tenants)
        let start = ContinuousClock.now
        let schedule = ArrivalSchedule(plan: plan, start: start)
        let pool = connections
        // Paced on the first connection's loop, timed by that loop, when it has one:
        // with one connection (the default) no other thread is woken.
        let pacer = pool[0].workerExecutor.map { executor in ArrivalPacer(sendEarly: sendEarly, timer: executor.schedule(at:_:)) }
            ?? ArrivalPacer(sendEarly: sendEarly)
        let recorder = await withTaskGroup(of: LatencyRecorder?.self) { group in
            group.addTask(executorPreference: pool[0].workerExecutor) {
                await pacer.run()
                return nil
            }
            for worker in 0..<plan.inFlight {
                // On its connection's event loop, when it has one of its own: a call
                // then does not change thread (`EventLoopTaskExecutor`).
                group.addTask(executorPreference: pool[worker % pool.count].workerExecutor) {
                    var random = RandomSource(seed: seed &+ UInt64(worker) &* 0x9E37_79B9)
                    return await work(
                        caller: pool[worker % pool.count], schedule: schedule, pacer: pacer, scenario: scenario, tenants: tenants,
                        picker: picker, firstCalls: firstCalls, timeout: plan.timeout, progress: progress, observer: observer, random: &random
                    )
                }
            }
            var merged = LatencyRecorder()
            var finished = 0
            // No worker (a plan whose calls in flight were set to 0): nothing to pace.
            if plan.inFlight <= 0 { group.cancelAll() }
            for await recorder in group {
                guard let recorder else { continue }
                merged.merge(recorder)
                finished += 1
                // The last worker is done: the pacer has nothing left to pace.
                if finished == plan.inFlight { group.cancelAll() }
            }
            return merged
        }
        let elapsed = ContinuousClock.now - (start + plan.warmup)
        for connection in connections { await connection.close() }
        return Outcome(recorder: recorder, elapsed: elapsed)
    }

    /// One of the plan's connections: a bare connection to the target, or, when the
    /// plan follows redirects, a client of one connection that does (opened now, so
    /// that an unreachable server fails the run before it starts).
    private static func connect(_ plan: LoadPlan) async throws -> any LoadConnection {
        guard plan.maximumRedirects > 0 else { return try await RPCConnection.connect(host: plan.host, port: plan.port, tls: plan.tls) }
        let client = RPCClient(
            configuration: ClientConfiguration(
                host: plan.host, port: plan.port, connections: 1, defaultTimeout: plan.timeout, retry: .none, tls: plan.tls,
                maximumRedirects: plan.maximumRedirects, redirectHosts: plan.redirectHosts
            )
        )
        do {
            _ = try await client.connection()
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    /// One worker: takes calls from the schedule until it runs out, waiting for each
    /// one's due time, and records each call's latency from that time.
    private static func work(
        caller: any RPCCaller,
        schedule: ArrivalSchedule,
        pacer: ArrivalPacer,
        scenario: Scenario,
        tenants: [TenantFixture],
        picker: TenantPicker,
        firstCalls: FirstCalls,
        timeout: Duration,
        progress: LoadProgress,
        observer: LoadObserver?,
        random: inout RandomSource
    ) async -> LatencyRecorder {
        var recorder = LatencyRecorder()
        while !Task.isCancelled, let ticket = schedule.next() {
            await pacer.wait(until: ticket.due)
            // Let go because the run was cancelled: the call is not made.
            if Task.isCancelled { break }
            let sent = ContinuousClock.now
            let picked = picker.pick(using: &random)
            let tenant = tenants[picked]
            // Claimed in the warm-up too: a tenant first called then is warm afterwards.
            let first = firstCalls.claim(fixture: picked)
            let step = scenario.pick(using: &random)
            var through = caller
            if let observer { through = ObservingCaller(base: caller, step: step.name, tenant: tenant, observer: observer) }
            let call = StepCall(
                caller: through, options: CallOptions(timeout: timeout, apiKey: tenant.apiKey), tenant: tenant, sequence: ticket.index,
                observed: observer != nil
            )
            do {
                try await step.call(call, &random)
                // From the due time when sent late (the wait counts), from the send when early.
                if !ticket.isWarmup { recorder.record(step.name, latency: .now - min(ticket.due, sent), firstToTenant: first) }
                progress.add(succeeded: true)
            } catch {
                if !ticket.isWarmup { recorder.recordFailure(step.name, status: statusName(error), firstToTenant: first) }
                progress.add(succeeded: false)
            }
        }
        return recorder
    }

    /// How early a call may be sent rather than wait for its due time: a call due
    /// within the timer's resolution goes at once rather than pay a wait (and its late
    /// wake-up); its latency then counts from the send.
    static let sendEarly = Duration.microseconds(200)

    /// The status an error is reported under: the RPC status, or `CLIENT_ERROR` for a
    /// failure on this side (a template naming a record the tenant lacks).
    static func statusName(_ error: any Error) -> String {
        (error as? RPCError).map { "\($0.code)" } ?? "CLIENT_ERROR"
    }
}

/// What a run's workers call through, closed at the end of the run.
protocol LoadConnection: RPCCaller {
    /// Where the workers calling through it run: nil for the global executor.
    var workerExecutor: EventLoopTaskExecutor? { get }
    func close() async
}

extension RPCConnection: LoadConnection {
    var workerExecutor: EventLoopTaskExecutor? { taskExecutor }
}

extension RPCClient: LoadConnection {
    /// A client following redirects may move to connections on other loops.
    var workerExecutor: EventLoopTaskExecutor? { nil }
}
