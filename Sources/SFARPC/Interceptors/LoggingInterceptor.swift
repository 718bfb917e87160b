public import Logging
public import SFACodec

/// Logs every call once it ends: method, call id, status and duration (refusals at
/// `info`, server faults at `warning`, successes at `debug`). Requests, responses and
/// the `authorization` header are never logged.
public struct LoggingInterceptor: ServerInterceptor {
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func intercept(
        _ request: any ProtoMessage,
        context: ServerContext,
        next: @Sendable (any ProtoMessage, ServerContext) async throws -> any ProtoMessage
    ) async throws -> any ProtoMessage {
        let start = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "rpc.method": "\(context.method.fullName)",
            "rpc.call_id": "\(context.callID)",
        ]
        if let traceparent = context.metadata["traceparent"] { metadata["traceparent"] = "\(traceparent)" }
        do {
            let response = try await next(request, context)
            metadata["rpc.status"] = "OK"
            metadata["rpc.duration_ms"] = "\(milliseconds(since: start))"
            logger.debug("call finished", metadata: metadata)
            return response
        } catch {
            let rpcError = RPCError(mapping: error)
            metadata["rpc.status"] = "\(rpcError.code)"
            metadata["rpc.duration_ms"] = "\(milliseconds(since: start))"
            if rpcError.isServerFault {
                // The transport logs the underlying error itself.
                logger.warning("call failed", metadata: metadata)
            } else {
                metadata["rpc.message"] = "\(rpcError.message)"
                logger.info("call refused", metadata: metadata)
            }
            throw error
        }
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}
