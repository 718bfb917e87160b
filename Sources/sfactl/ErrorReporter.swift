import ArgumentParser
import Foundation
import SFACodec
import SFAProtoJSON
import SFARPC

/// Prints a failure on standard error and picks the exit code:
///
///     error: NOT_FOUND: tenant not found
///       reason: TENANT_NOT_FOUND
///       tenant_id: no tenant with this id
///
/// The API key never appears: any occurrence of it in a message is replaced.
struct ErrorReporter {
    /// The API key in use, scrubbed from every message.
    let secret: String?

    /// Prints `error` and returns the `ExitCode` to throw.
    func report(_ error: any Error) -> any Error {
        switch error {
        case let exit as ExitCode:
            return exit
        case let rpc as RPCError:
            var lines = ["error: \(rpc.code): \(scrub(rpc.message))"]
            if !rpc.details.reason.isEmpty { lines.append("  reason: \(scrub(rpc.details.reason))") }
            for violation in rpc.details.fieldViolations {
                lines.append("  \(scrub(violation.field)): \(scrub(violation.description))")
            }
            if rpc.details.retryAfterMs > 0 { lines.append("  retry after: \(rpc.details.retryAfterMs) ms") }
            Self.printError(lines.joined(separator: "\n"))
            return ExitCode(ExitCodes.rpcError)
        case let local as CLIError:
            Self.printError("error: \(scrub(local.message))")
            return ExitCode(ExitCodes.localError)
        case let parse as JSONParseError:
            Self.printError("error: \(parse.description)")
            return ExitCode(ExitCodes.localError)
        case let mapping as ProtoJSONError:
            Self.printError("error: \(scrub(mapping.description))")
            return ExitCode(ExitCodes.localError)
        case let codec as ProtoCodecError:
            Self.printError("error: \(codec.description)")
            return ExitCode(ExitCodes.localError)
        case is CancellationError:
            Self.printError("error: CANCELLED: interrupted")
            return ExitCode(ExitCodes.rpcError)
        default:
            Self.printError("error: \(scrub(String(describing: error)))")
            return ExitCode(ExitCodes.localError)
        }
    }

    private func scrub(_ text: String) -> String {
        guard let secret, !secret.isEmpty else { return text }
        return text.replacingOccurrences(of: secret, with: "<redacted>")
    }

    /// Writes a line to standard error.
    static func printError(_ text: String) {
        fflush(nil)  // flush standard output first, to keep the order of what was printed
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
