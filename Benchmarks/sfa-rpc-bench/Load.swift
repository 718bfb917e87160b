import SFAMessages
import SFARPC
import SFAStubs
import SFATransport

/// One measurement of one target at one concurrency.
struct Sample: Sendable {
    /// Calls completed per second of the measured window.
    var callsPerSecond: Double
    /// Latency percentiles, in microseconds.
    var p50: Double
    var p99: Double
    var calls: Int
    /// Calls that failed in the measured window, by reason.
    var errors: [String: Int]
    /// CPU time of the target process and of this process per call (warm-up
    /// included), in microseconds; nil where it could not be read.
    var targetCPUPerCall: Double?
    var clientCPUPerCall: Double?
}

/// What one of the concurrent loops saw.
private struct WorkerResult: Sendable {
    var latencies: [Int64] = []  // nanoseconds, measured window only
    var errors: [String: Int] = [:]
    var totalCalls = 0  // warm-up included
}

/// The benchmark cannot go on: a child died, hung or answered wrongly.
struct BenchError: Error, CustomStringConvertible {
    var description: String
}

/// Opens one connection to `port` and runs `concurrency` closed loops of
/// `HealthService.Check` on it for `warmup + duration`; only calls started after the
/// warm-up are counted.
func measure(
    target: Child,
    concurrency: Int,
    warmup: Duration,
    duration: Duration,
    expectedStatus: ServingStatus
) async throws -> Sample {
    let connection = try await RPCConnection.connect(host: "127.0.0.1", port: target.port)
    let targetCPUBefore = target.cpuSeconds
    let clientCPUBefore = processCPUSeconds(statPath: "/proc/self/stat")

    let role = target.role
    let start = ContinuousClock.now
    let measureFrom = start + warmup
    let end = measureFrom + duration
    let results: [WorkerResult]
    do {
        results = try await withThrowingTaskGroup(of: WorkerResult?.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    await callLoop(
                        connection,
                        from: measureFrom,
                        until: end,
                        expectedStatus: expectedStatus,
                        capacity: 1 << 14
                    )
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
                    description:
                        "calls to the \(role) still unanswered 10 s after the end of the measurement (concurrency \(concurrency))"
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
        await connection.close()
        throw error
    }
    await connection.close()

    let totalCalls = results.reduce(0) { $0 + $1.totalCalls }
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
    func perCall(_ before: Double?, _ after: Double?) -> Double? {
        guard let before, let after, totalCalls > 0 else { return nil }
        return (after - before) * 1e6 / Double(totalCalls)
    }
    return Sample(
        callsPerSecond: Double(latencies.count) / duration.seconds,
        p50: percentile(0.50),
        p99: percentile(0.99),
        calls: latencies.count,
        errors: errors,
        targetCPUPerCall: perCall(targetCPUBefore, target.cpuSeconds),
        clientCPUPerCall: perCall(clientCPUBefore, processCPUSeconds(statPath: "/proc/self/stat"))
    )
}

/// One closed loop: the next call starts when the previous one returns.
private func callLoop(
    _ connection: RPCConnection,
    from measureFrom: ContinuousClock.Instant,
    until end: ContinuousClock.Instant,
    expectedStatus: ServingStatus,
    capacity: Int
) async -> WorkerResult {
    let client = HealthServiceClient(connection)
    let request = HealthCheckRequest()
    var result = WorkerResult()
    result.latencies.reserveCapacity(capacity)
    while !Task.isCancelled {
        let callStart = ContinuousClock.now
        if callStart >= end { break }
        result.totalCalls += 1
        do {
            let response = try await client.check(request)
            let callEnd = ContinuousClock.now
            guard callStart >= measureFrom else { continue }
            if response.status == expectedStatus {
                result.latencies.append((callEnd - callStart).nanoseconds)
            } else {
                result.errors["unexpected health status \(response.status)", default: 0] += 1
            }
        } catch {
            guard callStart >= measureFrom else { continue }
            let reason = (error as? RPCError).map { "\($0.code): \($0.message)" } ?? "\(error)"
            result.errors[reason, default: 0] += 1
        }
    }
    return result
}

/// One call, to check a target answers as expected before timing it.
func probe(_ target: Child) async throws -> ServingStatus {
    let connection = try await RPCConnection.connect(host: "127.0.0.1", port: target.port)
    do {
        let response = try await HealthServiceClient(connection).check(HealthCheckRequest())
        await connection.close()
        return response.status
    } catch {
        await connection.close()
        throw error
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
