import Metrics
public import SFACodec

/// Counts calls per method and status (`sfa_rpc_calls_total`) and records their
/// duration per method (`sfa_rpc_duration_seconds`) through swift-metrics, so that any
/// metrics backend the process bootstraps sees them.
public struct MetricsInterceptor: ServerInterceptor {
    public init() {}

    public func intercept(
        _ request: any ProtoMessage,
        context: ServerContext,
        next: @Sendable (any ProtoMessage, ServerContext) async throws -> any ProtoMessage
    ) async throws -> any ProtoMessage {
        let start = ContinuousClock.now
        let method = context.method.fullName
        defer {
            Timer(label: "sfa_rpc_duration_seconds", dimensions: [("method", method)])
                .recordInterval(since: start)
        }
        do {
            let response = try await next(request, context)
            Counter(label: "sfa_rpc_calls_total", dimensions: [("method", method), ("code", "OK")]).increment()
            return response
        } catch {
            let code = RPCError(mapping: error).code
            Counter(label: "sfa_rpc_calls_total", dimensions: [("method", method), ("code", "\(code)")]).increment()
            throw error
        }
    }
}

extension Timer {
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
