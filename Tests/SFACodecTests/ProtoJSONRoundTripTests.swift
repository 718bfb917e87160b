import CProtobufC
import SFAMessages
import SFAProtoJSON
import Testing

/// The proto3 JSON mapping of sfactl and of tenant exports (SFAProtoJSON): every
/// message of the API, built with every field set, goes to JSON and back to the
/// same bytes, in each way of writing JSON that the mapping allows.
@Suite struct ProtoJSONRoundTripTests {
    private static let styles: [(String, ProtoJSONDecoder.Style)] = [
        ("defaults left out", ProtoJSONDecoder.Style()),
        ("defaults written", ProtoJSONDecoder.Style(includeDefaults: true)),
        ("short enum names", ProtoJSONDecoder.Style(shortEnumNames: true)),
    ]

    @Test(arguments: styles.indices)
    func everyMessageTypeRoundTripsThroughJSON(style: Int) throws {
        let (name, style) = Self.styles[style]
        #expect(SFAMessageRegistry.allMessageTypes.count > 100)
        for type in SFAMessageRegistry.allMessageTypes {
            try checkRoundTrip(type, style: style, styleName: name)
        }
    }

    @Test func jsonWrittenByHandParsesAsTheMappingSays() throws {
        let tenants = try JSONValue.parse(#"{"statuses": ["active", 2, "TENANT_STATUS_DELETED"], "page_size": "7", "query": null}"#)
        let bytes = try ProtoJSONEncoder.encode(tenants, as: ListTenantsRequest.cDescriptor)
        let request = try ListTenantsRequest(serializedBytes: bytes)
        #expect(request.statuses == [.active, .suspended, .deleted])
        #expect(request.pageSize == 7)
        #expect(request.query.isEmpty)
        // 64-bit integers as numbers past a double's precision.
        let user = try ProtoJSONEncoder.encode(
            try JSONValue.parse(#"{"user": {"id": "u", "version": 9007199254740993}}"#),
            as: CreateUserRequest.cDescriptor
        )
        #expect(try CreateUserRequest(serializedBytes: user).user?.version == 9_007_199_254_740_993)
        #expect(throws: ProtoJSONError.self) {
            try ProtoJSONEncoder.encode(try JSONValue.parse(#"{"no_such_field": 1}"#), as: ListTenantsRequest.cDescriptor)
        }
        #expect(throws: ProtoJSONError.self) {
            try ProtoJSONEncoder.encode(try JSONValue.parse(#"{"page_size": 4294967296}"#), as: ListTenantsRequest.cDescriptor)
        }
    }

    @Test func aNameIsMatchedWholeEvenWithANulInIt() throws {
        // Both found through protobuf-c's C-string lookups; a NUL must not cut a name short.
        let camel = try ProtoJSONEncoder.encode(try JSONValue.parse(#"{"pageSize": 3, "statuses": ["suspended"]}"#), as: ListTenantsRequest.cDescriptor)
        #expect(try ListTenantsRequest(serializedBytes: camel).pageSize == 3)
        #expect(try ListTenantsRequest(serializedBytes: camel).statuses == [.suspended])
        #expect(throws: ProtoJSONError.self) {
            try ProtoJSONEncoder.encode(try JSONValue.parse(#"{"page_size\u0000x": 3}"#), as: ListTenantsRequest.cDescriptor)
        }
        #expect(throws: ProtoJSONError.self) {
            try ProtoJSONEncoder.encode(try JSONValue.parse(#"{"statuses": ["active\u0000x"]}"#), as: ListTenantsRequest.cDescriptor)
        }
    }

    private func checkRoundTrip<M: ProtoMessage>(_: M.Type, style: ProtoJSONDecoder.Style, styleName: String) throws {
        for variant in 0..<DescriptorSampleBuilder.largestOneof(in: M.cDescriptor) {
            let builder = DescriptorSampleBuilder(topLevelRepeatCount: 3, oneofChoice: variant)
            let reference = builder.encodedSample(of: M.cDescriptor)
            let json = try ProtoJSONDecoder.decode(reference, as: M.cDescriptor, style: style)
            // Through text, as a file or a terminal would carry it.
            let parsed = try JSONValue.parse(json.serialized(pretty: false))
            let bytes = try ProtoJSONEncoder.encode(parsed, as: M.cDescriptor)
            #expect(
                try M(serializedBytes: bytes) == M(serializedBytes: reference),
                "\(M.protoName) (oneof variant \(variant), \(styleName)) changed through JSON: \(json.serialized(pretty: false))"
            )
        }
    }
}
