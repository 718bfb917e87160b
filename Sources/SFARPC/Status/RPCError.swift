public import SFAMessages

/// The one error type of an RPC: a status code, a message for people and
/// machine-readable details (reason, field violations, retry-after), as carried in
/// `ResponseHeader`.
///
/// Handlers throw it (or a domain error adopting ``RPCErrorConvertible``); any other
/// error a handler throws reaches the caller as `INTERNAL` with a generic message,
/// and is logged on the server only.
public struct RPCError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The status code; never `.ok`.
    public var code: StatusCode
    /// A message for the developer reading it; never contains secrets or internals.
    public var message: String
    /// Machine-readable details: `reason`, `field_violations`, `retry_after_ms`.
    public var details: ErrorDetails
    /// Response metadata to send along.
    public var metadata: [String: String]

    public init(
        code: StatusCode,
        message: String,
        details: ErrorDetails = ErrorDetails(),
        metadata: [String: String] = [:]
    ) {
        self.code = code
        self.message = message
        self.details = details
        self.metadata = metadata
    }

    /// An `INVALID_ARGUMENT` error listing every field that is wrong.
    public static func invalidArgument(_ message: String, violations: [FieldViolation]) -> RPCError {
        RPCError(
            code: .invalidArgument,
            message: message,
            details: ErrorDetails(reason: "INVALID_FIELDS", fieldViolations: violations)
        )
    }

    public var description: String {
        var text = "\(code): \(message)"
        if !details.reason.isEmpty { text += " [\(details.reason)]" }
        for violation in details.fieldViolations {
            text += "\n  \(violation.field): \(violation.description)"
        }
        return text
    }
}

/// Adopted by domain errors that know which status they are, so that services can
/// throw their own errors and the transport still answers with the right code.
public protocol RPCErrorConvertible: Error {
    /// This error as the caller should see it.
    var rpcError: RPCError { get }
}

extension RPCError: RPCErrorConvertible {
    public var rpcError: RPCError { self }
}
