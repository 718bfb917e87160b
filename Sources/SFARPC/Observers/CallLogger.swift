public import Logging

/// Writes one line per call when it ends: call id, method, status (and reason),
/// duration, tenant, peer and `traceparent`. Every call at one configurable level;
/// server faults at `warning` at least. Requests, responses and the `authorization`
/// header never reach it (``FinishedCall`` does not carry them).
public struct CallLogger: CallObserver {
    private let logger: Logger
    private let level: Logger.Level

    /// - Parameter level: the level of each call's line; `debug` keeps a busy server's
    ///   log quiet unless asked (`info` makes it an access log).
    public init(logger: Logger, level: Logger.Level = .debug) {
        self.logger = logger
        self.level = level
    }

    public func callFinished(_ call: FinishedCall) {
        let fault = RPCError(code: call.status, message: "").isServerFault
        let level = fault ? max(level, .warning) : level
        // The metadata is built only when the line is written.
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "rpc.call_id": "\(call.callID)",
            "rpc.method": "\(call.method ?? "unknown")",
            "rpc.status": "\(call.status)",
            "rpc.duration_ms": "\(Double(call.duration.components.seconds) * 1000 + Double(call.duration.components.attoseconds) / 1e15)",
        ]
        if !call.reason.isEmpty { metadata["rpc.reason"] = "\(call.reason)" }
        if !call.message.isEmpty, !fault { metadata["rpc.message"] = "\(call.message)" }
        if let principal = call.principal {
            metadata["tenant"] = "\(principal.tenantID ?? "-")"
            metadata["user"] = "\(principal.userID)"
        }
        if let peer = call.peer { metadata["peer"] = "\(peer)" }
        if let traceparent = call.traceparent { metadata["traceparent"] = "\(traceparent)" }
        logger.log(level: level, fault ? "call failed" : "call finished", metadata: metadata)
    }
}
