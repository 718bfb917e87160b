/// A gRPC status code: the 17 codes with gRPC's numbers and meanings
/// (grpc/doc/statuscodes.md). Carried as `ResponseHeader.status`.
///
/// A struct over a private enum, so that codes can be added without breaking
/// callers that switch over them.
public struct StatusCode: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: UInt32, Sendable, CaseIterable {
        case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists
        case permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange
        case unimplemented, internalError, unavailable, dataLoss, unauthenticated
    }

    private let wrapped: Wrapped

    private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    /// The code for a number read off the wire; numbers outside 0…16 are `unknown`.
    public init(rawValue: UInt32) {
        self.wrapped = Wrapped(rawValue: rawValue) ?? .unknown
    }

    /// The number sent on the wire.
    public var rawValue: UInt32 { wrapped.rawValue }

    /// Success.
    public static let ok = StatusCode(.ok)
    /// The caller cancelled the call.
    public static let cancelled = StatusCode(.cancelled)
    /// An error with no better code; also what a status number this code does not know becomes.
    public static let unknown = StatusCode(.unknown)
    /// The request is wrong whatever the state of the system: a missing field, a bad email, an undecodable payload.
    public static let invalidArgument = StatusCode(.invalidArgument)
    /// The deadline passed before the call finished; its work was cancelled.
    public static let deadlineExceeded = StatusCode(.deadlineExceeded)
    /// The record does not exist, or the caller may not see it.
    public static let notFound = StatusCode(.notFound)
    /// A record with the same identity exists.
    public static let alreadyExists = StatusCode(.alreadyExists)
    /// The caller is known but not allowed to do this (or its tenant is suspended).
    public static let permissionDenied = StatusCode(.permissionDenied)
    /// A limit was hit: calls in flight, rate, frame size. Retry later.
    public static let resourceExhausted = StatusCode(.resourceExhausted)
    /// The system is not in the state the call needs; the caller must fix that first.
    public static let failedPrecondition = StatusCode(.failedPrecondition)
    /// A concurrency conflict, e.g. a stale version; retry at a higher level (read, then write again).
    public static let aborted = StatusCode(.aborted)
    /// A value past a valid range (e.g. a page beyond the end).
    public static let outOfRange = StatusCode(.outOfRange)
    /// The method does not exist on this server.
    public static let unimplemented = StatusCode(.unimplemented)
    /// A bug or broken invariant on the server; details are logged, not sent.
    public static let internalError = StatusCode(.internalError)
    /// The server cannot take the call now (draining, overloaded); safe to retry.
    public static let unavailable = StatusCode(.unavailable)
    /// Unrecoverable data loss or corruption.
    public static let dataLoss = StatusCode(.dataLoss)
    /// No credentials, or credentials that are not valid.
    public static let unauthenticated = StatusCode(.unauthenticated)

    /// The gRPC name of the code, e.g. `INVALID_ARGUMENT`.
    public var description: String {
        switch wrapped {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }

    /// Every code, in numeric order.
    public static let allCodes: [StatusCode] = Wrapped.allCases.map(StatusCode.init)
}
