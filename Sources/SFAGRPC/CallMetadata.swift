import GRPCCore
import SFARPC
import SFATransport

/// What the native `RequestHeader` carries, read from a gRPC call's metadata:
/// `authorization` (`Bearer <key>`), `idempotency-key`, the deadline from
/// `grpc-timeout`, and the other text metadata (`traceparent`, …) passed on.
struct CallMetadata {
    var authorization: String?
    var idempotencyKey: String?
    var timeout: Duration?
    var passedOn: [String: String] = [:]
    /// Why the call is refused before dispatch, as the native transport refuses the
    /// same header (an idempotency key that is not one).
    var violation: SFARPC.RPCError?

    /// Keys that are gRPC's or HTTP/2's own, or read into the fields above.
    private static let reserved: Set<String> = ["authorization", "idempotency-key", "content-type", "te", "user-agent", "grpc-accept-encoding", "grpc-encoding", "grpc-timeout"]

    init(_ metadata: Metadata) {
        authorization = metadata[stringValues: "authorization"].first { _ in true }
        idempotencyKey = metadata[stringValues: "idempotency-key"].first { _ in true }
        if let key = idempotencyKey { violation = IncomingCall.idempotencyKeyError(key) }
        timeout = metadata[stringValues: "grpc-timeout"].first { _ in true }.flatMap(Self.timeout)
        for (key, value) in metadata where !Self.reserved.contains(key) && !key.hasPrefix("grpc-") && !key.hasSuffix("-bin") {
            if case .string(let text) = value { passedOn[key] = text }
        }
    }

    /// A `grpc-timeout` value: at most 8 digits and a unit (H, M, S, m, u, n); nil
    /// for anything else, which gRPC servers ignore.
    static func timeout(_ text: String) -> Duration? {
        guard let unit = text.last, (2...9).contains(text.count), let value = Int64(text.dropLast()), value >= 0 else { return nil }
        switch unit {
        case "H": return .seconds(value * 3_600)
        case "M": return .seconds(value * 60)
        case "S": return .seconds(value)
        case "m": return .milliseconds(value)
        case "u": return .microseconds(value)
        case "n": return .nanoseconds(value)
        default: return nil
        }
    }
}
