import ArgumentParser
import Foundation
import SFACodec
import SFAMessages
import SFAProtoJSON
import SFARPC

/// Prints a failure on standard error and picks the exit code:
///
///     error: NOT_FOUND: tenant not found
///       reason: TENANT_NOT_FOUND
///       tenant_id: no tenant with this id
///
/// or with `--json` as one JSON object: an RPC error as its status name and number,
/// message and `details` (ErrorDetails in the proto3 JSON mapping), a local one as
/// `{"status": "LOCAL_ERROR", "message": …}`:
///
///     {"status": "NOT_FOUND", "code": 5, "message": "tenant not found", "details": {"reason": "TENANT_NOT_FOUND", …}}
///
/// The API key never appears: any occurrence of it in a message is replaced.
struct ErrorReporter {
    /// The API key in use, scrubbed from every message.
    let secret: String?
    /// Write errors as JSON.
    var json = false

    /// Prints `error` and returns the `ExitCode` to throw.
    func report(_ error: any Error) -> any Error {
        if json, !(error is ExitCode) { return reportJSON(error) }
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

    private func reportJSON(_ error: any Error) -> any Error {
        let members: [(key: String, value: JSONValue)]
        let exit: Int32
        switch error {
        case let rpc as RPCError:
            var details = rpc.details
            details.fieldViolations = details.fieldViolations.map { violation in
                var violation = violation
                violation.description = scrub(violation.description)
                return violation
            }
            let detailsJSON = (try? ProtoJSONDecoder.decode(details.serializedBytes(), as: ErrorDetails.cDescriptor)) ?? .object([])
            members = [
                ("status", .string("\(rpc.code)")), ("code", .number(String(rpc.code.rawValue))),
                ("message", .string(scrub(rpc.message))), ("details", detailsJSON),
            ]
            exit = ExitCodes.rpcError
        case is CancellationError:
            members = [("status", .string("CANCELLED")), ("code", .number("1")), ("message", .string("interrupted"))]
            exit = ExitCodes.rpcError
        default:
            members = [("status", .string("LOCAL_ERROR")), ("message", .string(scrub(String(describing: error))))]
            exit = ExitCodes.localError
        }
        Self.printError(JSONValue.object(members).serialized(pretty: false))
        return ExitCode(exit)
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
