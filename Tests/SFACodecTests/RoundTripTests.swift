import CProtobufC
import SFAMessages
import Testing

/// Every message of the API against protobuf-c's own encoding of a sample built
/// from its descriptor: decode in Swift, encode again, and get the same bytes.
@Suite struct RoundTripTests {
    @Test func everyMessageTypeRoundTripsWithEveryFieldSet() throws {
        #expect(SFAMessageRegistry.allMessageTypes.count > 100)
        for type in SFAMessageRegistry.allMessageTypes {
            try checkRoundTrip(type, repeatCount: 3)
        }
    }

    @Test func repeatedAndMapFieldsWithManyEntriesRoundTrip() throws {
        for type in SFAMessageRegistry.allMessageTypes {
            try checkRoundTrip(type, repeatCount: 500)
        }
    }

    @Test func emptyMessagesEncodeToNothingAndDecodeFromNothing() throws {
        for type in SFAMessageRegistry.allMessageTypes {
            try checkEmpty(type)
        }
    }

    private func checkEmpty<M: ProtoMessage>(_: M.Type) throws {
        #expect(M().serializedBytes() == [], "\(M.protoName)")
        #expect(try M(serializedBytes: []) == M(), "\(M.protoName)")
    }

    private func checkRoundTrip<M: ProtoMessage>(_: M.Type, repeatCount: Int) throws {
        let oneofVariants = DescriptorSampleBuilder.largestOneof(in: M.cDescriptor)
        for variant in 0..<oneofVariants {
            let builder = DescriptorSampleBuilder(topLevelRepeatCount: repeatCount, oneofChoice: variant)
            let reference = builder.encodedSample(of: M.cDescriptor)
            let decoded = try M(serializedBytes: reference)
            if M.cDescriptor.pointee.n_fields > 0 {
                #expect(decoded != M(), "\(M.protoName): the sample decoded to defaults")
            }
            let reencoded = decoded.serializedBytes()
            #expect(
                firstDifference(reencoded, reference) == nil,
                "\(M.protoName) (oneof variant \(variant)): Swift encoding differs from protobuf-c's"
            )
            #expect(decoded.serializedSize == reference.count, "\(M.protoName)")
            #expect(try M(serializedBytes: reencoded) == decoded, "\(M.protoName)")
        }
    }

    /// The first index where the two encodings differ (or where one ends), `nil` if equal.
    private func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        guard a != b else { return nil }
        return zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    }
}
