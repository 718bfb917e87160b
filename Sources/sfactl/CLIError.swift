/// A failure of sfactl itself (not of the server): bad JSON, an unknown method or
/// type, unreadable input. Printed as `error: <message>`; exits with ``ExitCodes/localError``.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// The exit codes of sfactl (docs/sfactl.md).
enum ExitCodes {
    /// The command did what was asked.
    static let success: Int32 = 0
    /// The server (or the connection) answered with an RPC error.
    static let rpcError: Int32 = 1
    /// sfactl refused the input before calling: bad JSON, unknown method, type or field.
    static let localError: Int32 = 2
    /// `health`: the server (or the service) answered, but is not SERVING.
    static let notServing: Int32 = 3
    /// Wrong command-line usage (ArgumentParser's EX_USAGE).
    static let usage: Int32 = 64
}
