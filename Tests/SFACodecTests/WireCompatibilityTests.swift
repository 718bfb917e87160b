import SFAMessages
import Testing

/// Encodings checked byte for byte against the protobuf wire format
/// (https://protobuf.dev/programming-guides/encoding/), computed by hand, so that
/// any other protobuf implementation interoperates.
@Suite struct WireCompatibilityTests {
    @Test func moneyEncodesAsTheWireFormatSays() throws {
        let money = Money(currencyCode: "EUR", amountMinor: 1234)
        // field 1, wire type 2 (0x0a), length 3, "EUR"; field 2, wire type 0 (0x10), varint 1234 = 0xd2 0x09.
        let expected: [UInt8] = [0x0a, 0x03, 0x45, 0x55, 0x52, 0x10, 0xd2, 0x09]
        #expect(money.serializedBytes() == expected)
        #expect(try Money(serializedBytes: expected) == money)
    }

    @Test func negativeInt64IsATenByteVarint() throws {
        let money = Money(amountMinor: -1)
        let expected: [UInt8] = [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        #expect(money.serializedBytes() == expected)
        #expect(try Money(serializedBytes: expected) == money)
    }

    @Test func requestHeaderMatchesTheFrameSpecification() throws {
        // SPEC §3: RequestHeader 1 method, 2 timeout_ms, 5 metadata (map entries: 1 key, 2 value).
        let header = RequestHeader(method: "/sfa.v1.HealthService/Check", timeoutMs: 250, metadata: ["k": "v"])
        var expected: [UInt8] = [0x0a, 27] + Array("/sfa.v1.HealthService/Check".utf8)
        expected += [0x10, 0xfa, 0x01]  // 250 as a varint
        expected += [0x2a, 0x06, 0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76]  // field 5: {1: "k", 2: "v"}
        #expect(header.serializedBytes() == expected)
        #expect(try RequestHeader(serializedBytes: expected) == header)
    }

    @Test func unknownFieldsFromANewerPeerAreSkipped() throws {
        let known: [UInt8] = [0x0a, 0x03, 0x45, 0x55, 0x52, 0x10, 0xd2, 0x09]
        // field 15 varint 1; field 100 length-delimited "hi"; field 101 fixed32.
        let extra: [UInt8] = [0x78, 0x01, 0xa2, 0x06, 0x02, 0x68, 0x69, 0xad, 0x06, 1, 2, 3, 4]
        #expect(try Money(serializedBytes: known + extra) == Money(currencyCode: "EUR", amountMinor: 1234))
    }

    @Test func unknownEnumNumbersSurviveARoundTrip() throws {
        // HealthCheckResponse field 1 is an enum; 99 is not one of its values.
        let bytes: [UInt8] = [0x08, 99]
        let response = try HealthCheckResponse(serializedBytes: bytes)
        #expect(response.status == .unrecognized(99))
        #expect(response.serializedBytes() == bytes)
    }
}
