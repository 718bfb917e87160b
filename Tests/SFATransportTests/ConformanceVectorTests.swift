import Foundation
import NIOCore
import SFAStubs
import SFATransport
import Testing

/// The conformance kit's vectors (conformance/vectors.json): the Swift client's frame
/// writer and protobuf-c's header encoding produce each vector's exact bytes.
@Suite struct ConformanceVectorTests {
    static func vectors() -> [[String: Any]] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../conformance/vectors.json").standardized
        let data = (try? Data(contentsOf: path)) ?? Data()
        let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        return (root?["vectors"] as? [[String: Any]] ?? []).filter { $0["frame_hex"] != nil }
    }

    @Test func theSwiftClientEncodesEveryVectorToItsBytes() throws {
        let vectors = Self.vectors()
        #expect(vectors.count >= 9)
        for vector in vectors {
            let request = try #require(vector["request"] as? [String: Any])
            let callID = UInt32(try #require(request["call_id"] as? Int))
            let payload = Self.bytes(request["payload_hex"] as? String ?? "")
            var buffer = ByteBuffer()
            if request["type"] as? String == "PING" {
                buffer.writeFrame(Frame(type: .ping, callID: callID, header: ByteBuffer(), payload: ByteBuffer(bytes: payload)))
            } else {
                var header = ByteBuffer()
                header.writeMessage(RequestHeader(
                    method: request["method"] as? String ?? "",
                    timeoutMs: UInt32(request["timeout_ms"] as? Int ?? 0),
                    authorization: request["authorization"] as? String ?? "",
                    idempotencyKey: request["idempotency_key"] as? String ?? ""
                ))
                buffer.writeFrame(Frame(type: .request, callID: callID, header: header, payload: ByteBuffer(bytes: payload)))
            }
            let hex = buffer.readableBytesView.map { String(format: "%02x", $0) }.joined()
            #expect(hex == vector["frame_hex"] as? String, "\(vector["name"] ?? "")")
        }
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}
