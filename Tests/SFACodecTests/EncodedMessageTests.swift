import SFACodec
import SFAMessages
import Testing

/// Messages sent as stored bytes, and list responses written from them by hand.
@Suite struct EncodedMessageTests {
    private let lead = Lead(id: "lead_1", version: 2, firstName: "Mina", lastName: "Park", email: "mina@example.com", companyName: "Acme")

    @Test func anEncodedMessageSendsItsBytesAndDecodesToTheMessage() throws {
        let bytes = lead.serializedBytes()
        let encoded = EncodedMessage<Lead>(bytes: bytes)
        #expect(encoded.serializedBytes() == bytes)
        #expect(encoded.serializedSize == bytes.count)
        #expect(try encoded.decoded() == lead)
        #expect(EncodedMessage<Lead>().serializedBytes().isEmpty)
    }

    @Test func itsCStructIsTheStructOfTheMessageItHolds() {
        // fill(), through withCMessage, is the path of a message nested in another one.
        let viaEncoded = EncodedMessage<Lead>(lead)
        let roundTripped = viaEncoded.withCMessage { cMessage in
            Lead(cMessage: UnsafeRawPointer(cMessage).assumingMemoryBound(to: Lead.CMessage.self))
        }
        #expect(roundTripped == lead)
    }

    @Test func aListWrittenFromStoredBytesEqualsTheListEncodedByProtobufC() throws {
        let other = Lead(id: "lead_2", version: 1, lastName: "Ito", phone: "+81 3 0000 0000", companyName: "Ito KK")
        var writer = ProtoFieldWriter<ListLeadsResponse>()
        try writer.append("leads", encoded: lead.serializedBytes())
        try writer.append("leads", encoded: other.serializedBytes())
        try writer.append("next_page_token", string: "token")
        let expected = ListLeadsResponse(leads: [lead, other], nextPageToken: "token")
        #expect(writer.message.bytes == expected.serializedBytes())
        #expect(try writer.message.decoded() == expected)
    }

    @Test func anEmptyStringIsLeftOutAsProtobufDoes() throws {
        var writer = ProtoFieldWriter<ListLeadsResponse>()
        try writer.append("next_page_token", string: "")
        #expect(writer.message.bytes.isEmpty)
    }

    @Test func aFieldTheMessageDoesNotHaveOrThatIsNotLengthDelimitedIsRefused() {
        var writer = ProtoFieldWriter<ListLeadsResponse>()
        #expect(throws: FieldMaskError.unknownField("lead", message: "sfa.v1.ListLeadsResponse")) {
            try writer.append("lead", encoded: [1, 2, 3])
        }
        var leadWriter = ProtoFieldWriter<Lead>()
        #expect(throws: FieldMaskError.unknownField("version", message: "sfa.v1.Lead")) {
            try leadWriter.append("version", encoded: [1])
        }
    }

    @Test func anIntegerAppendedAfterAStoredEncodingOverridesTheStoredValue() throws {
        let stored = Lead(id: "lead_1", version: 3, lastName: "Ito")
        var writer = ProtoFieldWriter<Lead>()
        try writer.append("version", integer: 7)
        try writer.append("create_time_ms", integer: 0)
        let merged = try EncodedMessage<Lead>(bytes: stored.serializedBytes() + writer.message.bytes).decoded()
        #expect(merged == Lead(id: "lead_1", version: 7, lastName: "Ito"))
        #expect(throws: FieldMaskError.unknownField("last_name", message: "sfa.v1.Lead")) {
            try writer.append("last_name", integer: 1)
        }
    }
}
