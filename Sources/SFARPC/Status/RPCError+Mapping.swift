extension RPCError {
    /// The error a caller sees for any error a handler threw: an ``RPCErrorConvertible``
    /// maps itself, cancellation is `CANCELLED`, and anything else is `INTERNAL` with a
    /// generic message, so that no internals reach the caller.
    public init(mapping error: any Error) {
        switch error {
        case let convertible as any RPCErrorConvertible:
            self = convertible.rpcError
        case is CancellationError:
            self = RPCError(code: .cancelled, message: "the call was cancelled")
        default:
            self = RPCError(code: .internalError, message: "internal error")
        }
    }

    /// Whether this error stands for a bug on the server rather than a refused request.
    public var isServerFault: Bool {
        code == .internalError || code == .unknown || code == .dataLoss
    }
}
