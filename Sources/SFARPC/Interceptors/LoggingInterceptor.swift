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
        do {
            let response = try await next(request, context)
            // Successes are logged at debug: the metadata is built only when it is shown.
            if logger.logLevel <= .debug {
                logger.debug("call finished", metadata: metadata(context, status: "OK", since: start))
            }
            return response
        } catch {
            let rpcError = RPCError(mapping: error)
            var metadata = metadata(context, status: "\(rpcError.code)", since: start)
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

    private func metadata(_ context: ServerContext, status: String, since start: ContinuousClock.Instant) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "rpc.method": "\(context.method.fullName)",
            "rpc.call_id": "\(context.callID)",
            "rpc.status": "\(status)",
            "rpc.duration_ms": "\(milliseconds(since: start))",
        ]
        if let traceparent = context.metadata["traceparent"] { metadata["traceparent"] = "\(traceparent)" }
        return metadata
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}
