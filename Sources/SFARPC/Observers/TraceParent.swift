/// A W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
/// `version-traceid-parentid-flags` in lowercase hex, 2-32-16-2 digits. Only a value
/// of that shape is carried into logs: anything else a client sends is dropped, so a
/// log's `traceparent` is always one a tracing system can join on.
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    /// The value, or `nil` unless it is a valid `traceparent`: version `ff` is
    /// invalid, and an all-zero trace id or parent id is invalid. Versions above 00
    /// may append fields after a `-` (the spec's forward compatibility).
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 55, utf8.count <= 512 else { return nil }
        let dashes = [2, 35, 52]
        for (index, byte) in utf8.prefix(55).enumerated() {
            if dashes.contains(index) {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                else { return nil }
            }
        }
        let version = String(decoding: utf8[0..<2], as: UTF8.self)
        guard version != "ff" else { return nil }
        if version == "00" {
            guard utf8.count == 55 else { return nil }
        } else if utf8.count > 55 {
            guard utf8[55] == UInt8(ascii: "-") else { return nil }
        }
        let zeros = { (range: Range<Int>) in utf8[range].allSatisfy { $0 == UInt8(ascii: "0") } }
        guard !zeros(3..<35), !zeros(36..<52) else { return nil }
        description = text
    }
}
