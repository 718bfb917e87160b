import SFARPC
import SFATransport

/// One measurement of one workload on one target at one concurrency.
struct Sample: Sendable {
    /// Calls completed per second of the measured window.
    var callsPerSecond: Double
    /// Latency percentiles, in microseconds.
    var p50: Double
    var p99: Double
    var p999: Double
    var calls: Int
    /// Calls that failed or answered wrongly in the measured window, by reason.
    var errors: [String: Int]
    /// CPU time of the target process and of this process in the measured window,
    /// per call, in microseconds; nil where it could not be read.
    var targetCPUPerCall: Double?
    var clientCPUPerCall: Double?
}

/// What one of the concurrent loops saw in the measured window.
private struct WorkerResult: Sendable {
    var latencies: [Int64] = []  // nanoseconds
    var errors: [String: Int] = [:]
}

/// The benchmark cannot go on: a child died, hung or answered wrongly.
struct BenchError: Error, CustomStringConvertible {
    var description: String
}

/// Opens one connection to `target` and runs `concurrency` closed loops of `workload`
/// on it for `warmup + duration`; only calls started after the warm-up are counted.
func measure(
    target: Target,
    workload: Workload,
    concurrency: Int,
    warmup: Duration,
    duration: Duration
) async throws -> Sample {
    let connection = try await RPCConnection.connect(host: "127.0.0.1", port: target.port, apiKey: workload.apiKey)
    let start = ContinuousClock.now
    let measureFrom = start + warmup
    let end = measureFrom + duration
    let cpu = Task { await cpuUsed(by: target, from: measureFrom, until: end) }
    let results: [WorkerResult]
    do {
        results = try await withThrowingTaskGroup(of: WorkerResult?.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    await callLoop(connection, workload: workload, from: measureFrom, until: end, capacity: 1 << 14)
                }
            }
            // A watchdog: a call that never returns must not hang the benchmark.
            group.addTask {
                do {
                    try await Task.sleep(until: end + .seconds(10), clock: .continuous)
                } catch {
                    return nil  // cancelled: every loop finished
                }
                throw BenchError(
                    description: "\(workload.method) calls to the \(target.name) still unanswered 10 s after "
                        + "the end of the measurement (concurrency \(concurrency))"
                )
            }
            var results: [WorkerResult] = []
            for try await result in group {
                guard let result else { continue }
                results.append(result)
                if results.count == concurrency { group.cancelAll() }
            }
            return results
        }
    } catch {
        cpu.cancel()
        await connection.close()
        throw error
    }
    await connection.close()
    let (targetCPU, clientCPU) = await cpu.value

    var latencies: [Int64] = []
    latencies.reserveCapacity(results.reduce(0) { $0 + $1.latencies.count })
    var errors: [String: Int] = [:]
    for result in results {
        latencies.append(contentsOf: result.latencies)
        errors.merge(result.errors, uniquingKeysWith: +)
    }
    latencies.sort()
    func percentile(_ fraction: Double) -> Double {
        guard !latencies.isEmpty else { return .nan }
        let rank = Int((fraction * Double(latencies.count)).rounded(.up))
        return Double(latencies[min(max(rank, 1), latencies.count) - 1]) / 1000
    }
    let calls = latencies.count + errors.values.reduce(0, +)
    func perCall(_ seconds: Double?) -> Double? {
        guard let seconds, calls > 0 else { return nil }
        return seconds * 1e6 / Double(calls)
    }
    return Sample(
        callsPerSecond: Double(latencies.count) / duration.seconds,
        p50: percentile(0.50),
        p99: percentile(0.99),
        p999: percentile(0.999),
        calls: latencies.count,
        errors: errors,
        targetCPUPerCall: perCall(targetCPU),
        clientCPUPerCall: perCall(clientCPU)
    )
}

/// The CPU seconds `target` and this process use between `start` and `end`: the
/// measured window, without the warm-up and the closing of the connection.
private func cpuUsed(
    by target: Target,
    from start: ContinuousClock.Instant,
    until end: ContinuousClock.Instant
) async -> (target: Double?, client: Double?) {
    do {
        try await Task.sleep(until: start, clock: .continuous)
        let before = (target.cpuSeconds, processCPUSeconds())
        try await Task.sleep(until: end, clock: .continuous)
        let after = (target.cpuSeconds, processCPUSeconds())
        func delta(_ before: Double?, _ after: Double?) -> Double? {
            guard let before, let after else { return nil }
            return after - before
        }
        return (delta(before.0, after.0), delta(before.1, after.1))
    } catch {
        return (nil, nil)  // cancelled: the measurement failed
    }
}

/// One closed loop: the next call starts when the previous one returns.
private func callLoop(
    _ connection: RPCConnection,
    workload: Workload,
    from measureFrom: ContinuousClock.Instant,
    until end: ContinuousClock.Instant,
    capacity: Int
) async -> WorkerResult {
    var result = WorkerResult()
    result.latencies.reserveCapacity(capacity)
    while !Task.isCancelled {
        let callStart = ContinuousClock.now
        if callStart >= end { break }
        do {
            let wrong = try await workload.call(connection)
            let callEnd = ContinuousClock.now
            guard callStart >= measureFrom else { continue }
            if let wrong {
                result.errors["unexpected answer: \(wrong)", default: 0] += 1
            } else {
                result.latencies.append((callEnd - callStart).nanoseconds)
            }
        } catch {
            guard callStart >= measureFrom else { continue }
            result.errors[describe(error), default: 0] += 1
        }
    }
    return result
}

/// One call of `workload`, to check that `target` answers as expected before timing it.
/// - Throws: `BenchError` when it does not.
func probe(_ target: Target, with workload: Workload) async throws {
    let connection = try await RPCConnection.connect(host: "127.0.0.1", port: target.port, apiKey: workload.apiKey)
    let wrong: String?
    do {
        wrong = try await workload.call(connection)
    } catch {
        await connection.close()
        throw BenchError(description: "the \(target.name) failed a \(workload.method) call: \(describe(error))")
    }
    await connection.close()
    if let wrong {
        throw BenchError(description: "the \(target.name) answered a \(workload.method) call with \(wrong)")
    }
}

/// An error as one line: the status and message of an `RPCError`.
func describe(_ error: any Error) -> String {
    (error as? RPCError).map { "\($0.code): \($0.message)" } ?? "\(error)"
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
