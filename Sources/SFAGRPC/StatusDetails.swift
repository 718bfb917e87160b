import GRPCCore
import SFARPC
import SFATransport

/// A native error as a gRPC status: the same code and message, the error's metadata
/// as trailers, and its `ErrorDetails` (reason, field violations, retry-after) in
/// `grpc-status-details-bin` — a `google.rpc.Status` whose one `details` entry is an
/// `Any` holding `sfa.v1.ErrorDetails`, the richer-error model gRPC clients read
/// (`grpc_status.rpc_status.from_call` in Python, `StatusProto` in Java).
enum StatusDetails {
    static let typeURL = "type.googleapis.com/sfa.v1.ErrorDetails"

    static func grpcError(_ error: SFARPC.RPCError) -> GRPCCore.RPCError {
        let details = RPCDispatcher.answeredDetails(error)
        var metadata = Metadata()
        for (key, value) in error.metadata.sorted(by: { $0.key < $1.key }) { metadata.addString(value, forKey: key) }
        metadata.addBinary(status(code: Int(error.code.rawValue), message: error.message, details: details.serializedBytes()), forKey: "grpc-status-details-bin")
        let code = Status.Code(rawValue: Int(error.code.rawValue)).flatMap(GRPCCore.RPCError.Code.init) ?? .unknown
        return GRPCCore.RPCError(code: code, message: error.message, metadata: metadata)
    }

    /// `google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; }`
    /// with one `Any { string type_url = 1; bytes value = 2; }`, written by hand: two
    /// small messages do not warrant their descriptors in the codec.
    static func status(code: Int, message: String, details: [UInt8]) -> [UInt8] {
        var any: [UInt8] = []
        appendBytes(1, Array(typeURL.utf8), to: &any)
        appendBytes(2, details, to: &any)
        var status: [UInt8] = []
        if code != 0 {
            appendVarint(1 << 3, to: &status)
            appendVarint(UInt64(code), to: &status)
        }
        if !message.isEmpty { appendBytes(2, Array(message.utf8), to: &status) }
        appendBytes(3, any, to: &status)
        return status
    }

    private static func appendBytes(_ field: UInt64, _ bytes: [UInt8], to out: inout [UInt8]) {
        appendVarint(field << 3 | 2, to: &out)
        appendVarint(UInt64(bytes.count), to: &out)
        out += bytes
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }
}
