import NIOCore
import SFAServer
import SFAStubs
import SFATransport
import Testing

/// A header field that protobuf-c would read differently from a proxy — a string cut
/// at a NUL, a timeout cut to 32 bits — makes the header malformed instead, and a
/// payload string with a NUL or invalid UTF-8 is a bad argument naming its field,
/// and a payload of more fields than the decoder's bound is refused before decoding.
@Suite struct RefusedEncodingTests {
    private let getLead = LeadServiceMethods.getLead.fullName

    /// `message`'s encoding with its one `~` replaced by `replacement`.
    private func encoding(of message: some ProtoMessage, replacing replacement: [UInt8]) -> [UInt8] {
        message.serializedBytes().flatMap { $0 == 0x7E ? replacement : [$0] }
    }

    /// Sends one REQUEST and returns the header of its RESPONSE.
    private func answer(
        header: [UInt8],
        payload: [UInt8] = [],
        service: TestService = TestService(),
        configuration: ServerConfiguration = ServerConfiguration()
    ) async throws -> ResponseHeader {
        try await withTestServer(configuration: configuration, services: [service]) { _, port in
            let client = try await RawClient(port: port)
            try await client.sendRequest(callID: 1, header: header, payload: payload)
            let frame = try #require(try await client.next())
            await client.close()
            #expect(frame.callID == 1)
            return try frame.responseHeader
        }
    }

    @Test func everyHeaderStringWithANULIsAMalformedHeaderNamingTheField() async throws {
        let headers: [(RequestHeader, String)] = [
            (RequestHeader(method: getLead + "~/sfa.v1.AdminService/DeleteTenant"), "method"),
            (RequestHeader(method: getLead, authorization: "Bearer sfa_key~junk"), "authorization"),
            (RequestHeader(method: getLead, idempotencyKey: "a~b"), "idempotency_key"),
            (RequestHeader(method: getLead, metadata: ["traceparent": "00-~"]), "metadata[0].value"),
        ]
        for (header, field) in headers {
            let service = TestService()
            let response = try await answer(header: encoding(of: header, replacing: [0]), payload: GetLeadRequest(id: "x").serializedBytes(), service: service)
            #expect(StatusCode(rawValue: response.status) == .invalidArgument)
            #expect(response.details?.reason == "MALFORMED_HEADER")
            #expect(response.details?.fieldViolations.map(\.field) == [field])
            #expect(response.details?.fieldViolations.first?.reason == "INVALID_FORMAT")
            // The call never started: nothing ran under the name before the NUL.
            #expect(service.started.load(ordering: .relaxed) == 0)
        }
    }

    @Test func aHeaderStringWithInvalidUTF8IsAMalformedHeader() async throws {
        let header = encoding(of: RequestHeader(method: getLead + "~"), replacing: [0xC3])
        let response = try await answer(header: header)
        #expect(response.details?.reason == "MALFORMED_HEADER")
        #expect(response.details?.fieldViolations.map(\.field) == ["method"])
    }

    @Test func aTimeoutAbove32BitsIsAMalformedHeaderNotAShorterOrMissingDeadline() async throws {
        var header = RequestHeader(method: getLead).serializedBytes()
        header += [0x10, 0x81, 0x80, 0x80, 0x80, 0x10]  // timeout_ms = 2^32 + 1, which protobuf-c cuts to 1
        let response = try await answer(header: header, payload: GetLeadRequest(id: "x").serializedBytes())
        #expect(StatusCode(rawValue: response.status) == .invalidArgument)
        #expect(response.details?.reason == "MALFORMED_HEADER")
        #expect(response.details?.fieldViolations.map(\.field) == ["timeout_ms"])
        #expect(response.details?.fieldViolations.first?.reason == "OUT_OF_RANGE")
    }

    @Test func aPayloadStringWithANULOrInvalidUTF8IsInvalidArgumentNamingTheField() async throws {
        let header = RequestHeader(method: getLead).serializedBytes()
        for replacement: [UInt8] in [[0], [0xFF]] {
            let response = try await answer(header: header, payload: encoding(of: GetLeadRequest(id: "lead_1~"), replacing: replacement))
            #expect(StatusCode(rawValue: response.status) == .invalidArgument)
            #expect(response.details?.reason == "INVALID_FIELDS")
            #expect(response.details?.fieldViolations.map(\.field) == ["id"])
            #expect(response.details?.fieldViolations.first?.reason == "INVALID_FORMAT")
        }
    }

    @Test func aPayloadOfTwoMillionFieldsIsRefusedBeforeProtobufCDecodesIt() async throws {
        // Field 15, unknown to HealthCheckRequest, as a varint, 2,000,000 times: 4 MB
        // that protobuf-c would hold as 160 MB while decoding.
        let payload = [UInt8](unsafeUninitializedCapacity: 4_000_000) { buffer, count in
            for index in stride(from: 0, to: 4_000_000, by: 2) { buffer[index] = 0x78; buffer[index + 1] = 0x01 }
            count = 4_000_000
        }
        let header = RequestHeader(method: HealthServiceMethods.check.fullName).serializedBytes()
        // A Check that large is refused for its size first (RequestSizeLimitTests); with
        // reads allowed a whole frame, as bulk methods are, the field bound refuses it.
        var configuration = ServerConfiguration()
        configuration.connection.requestSizes.read = configuration.connection.maximumFrameSize
        let response = try await answer(header: header, payload: payload, configuration: configuration)
        #expect(StatusCode(rawValue: response.status) == .invalidArgument)
        #expect(response.details?.reason == "TOO_MANY_FIELDS")
    }
}
