import CProtobufC
import Foundation
import SFACodec
import SFAMessages
import Testing

/// The decoder refuses what protobuf-c would otherwise change or pay too much for:
/// NUL and invalid UTF-8 in strings, 32-bit varints out of range, singular message
/// fields repeated past a bound. Each refusal names the field.
@Suite struct StrictDecodingTests {
    /// The encoding of `message` with every `marker` byte (which must appear only in
    /// its strings) replaced by `replacement`: strings protobuf-c cannot encode itself.
    private func encoding(of message: some ProtoMessage, replacing marker: UInt8 = 0x7E, with replacement: [UInt8]) -> [UInt8] {
        let bytes = message.serializedBytes()
        #expect(bytes.contains(marker))
        return bytes.flatMap { $0 == marker ? replacement : [$0] }
    }

    private func refusal<M: ProtoMessage>(_: M.Type, _ bytes: [UInt8]) -> ProtoCodecError.Kind? {
        do {
            _ = try M(serializedBytes: bytes)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func aNULInAStringIsRefusedWithTheFieldNamedInsteadOfCutting() {
        let header = RequestHeader(method: "/sfa.v1.HealthService/Check~/sfa.v1.AdminService/DeleteTenant")
        #expect(
            refusal(RequestHeader.self, encoding(of: header, with: [0]))
                == .invalidField(path: "method", problem: .nulCharacter)
        )
    }

    @Test func invalidUTF8IsRefusedInsteadOfRewrittenToTheReplacementCharacter() {
        let settings = TenantSettings(leadStatuses: [LeadStatusDefinition(key: "new"), LeadStatusDefinition(label: "Won~")])
        let request = UpdateTenantSettingsRequest(settings: settings)
        let invalid: [[UInt8]] = [
            [0xFF],  // never in UTF-8
            [0xC0, 0xAF],  // overlong "/"
            [0xED, 0xA0, 0x80],  // a UTF-16 surrogate
            [0xF4, 0x90, 0x80, 0x80],  // past U+10FFFF
            [0xE3, 0x81],  // cut short
            [0x80],  // a continuation byte alone
        ]
        for bytes in invalid {
            #expect(
                refusal(UpdateTenantSettingsRequest.self, encoding(of: request, with: bytes))
                    == .invalidField(path: "settings.lead_statuses[1].label", problem: .invalidUTF8),
                "\(bytes)"
            )
        }
    }

    @Test func validUTF8OfEveryLengthDecodesUnchanged() throws {
        let lead = Lead(id: "lead_1", firstName: "株式会社 Ünïcødé ✓ 🙂 \u{7F}")
        #expect(try Lead(serializedBytes: lead.serializedBytes()) == lead)
    }

    @Test func aUInt32VarintAbove32BitsIsRefusedInsteadOfCutToItsLowBits() {
        // RequestHeader field 2 (timeout_ms) = 2^32 + 1, which protobuf-c would read as 1.
        let tooLarge: [UInt8] = [0x10, 0x81, 0x80, 0x80, 0x80, 0x10]
        #expect(refusal(RequestHeader.self, tooLarge) == .invalidField(path: "timeout_ms", problem: .outOfRange))
        // 2^63 (which protobuf-c would read as 0: no deadline).
        let huge: [UInt8] = [0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        #expect(refusal(RequestHeader.self, huge) == .invalidField(path: "timeout_ms", problem: .outOfRange))
        #expect((try? RequestHeader(serializedBytes: RequestHeader(timeoutMs: .max).serializedBytes()))?.timeoutMs == .max)
    }

    @Test func negativeInt32sAndEnumsInTheirTenByteFormStillDecode() throws {
        let definition = LeadStatusDefinition(meaning: .unrecognized(-3), sortOrder: -5)
        #expect(try LeadStatusDefinition(serializedBytes: definition.serializedBytes()) == definition)
    }

    @Test func aPackedEnumOutOfRangeIsRefused() {
        // TenantSettings field 8 (working_days), packed: one element of 2^40.
        let bytes: [UInt8] = [0x42, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]
        #expect(refusal(TenantSettings.self, bytes) == .invalidField(path: "working_days", problem: .outOfRange))
    }

    @Test func aSingularMessageFieldMayBeMergedUpToTheBoundAndNoFurther() throws {
        let limit = ProtoLimits.maximumSingularMessageOccurrences
        let one = UpdateTenantSettingsRequest(settings: TenantSettings(leadStatuses: [LeadStatusDefinition(key: "k")]))
        let bytes = one.serializedBytes()
        // Concatenated encodings merge: the repeated lead statuses add up.
        let merged = try UpdateTenantSettingsRequest(serializedBytes: Array([[UInt8]](repeating: bytes, count: limit).joined()))
        #expect(merged.settings?.leadStatuses.count == limit)
        #expect(
            refusal(UpdateTenantSettingsRequest.self, Array([[UInt8]](repeating: bytes, count: limit + 1).joined()))
                == .invalidField(path: "settings", problem: .occursTooOften(limit: limit))
        )
    }

    /// The request of issue 16 that cost 16 s of CPU: 4 MB of one `settings` field
    /// repeated 25,157 times. Asserts the refusal, not a time (the time is printed).
    @Test func fourMegabytesOfOneRepeatedSingularMessageAreRefusedWithoutDecodingThem() {
        let settings = TenantSettings(
            leadStatuses: [LeadStatusDefinition(key: "status_key", label: "A status label", meaning: .unrecognized(1))],
            lostReasons: [LostReason(key: "reason", label: "A lost reason label")],
            timeZone: "Asia/Tokyo"
        )
        let occurrence = UpdateTenantSettingsRequest(settings: settings).serializedBytes()
        let count = 4_000_000 / occurrence.count
        let bytes = Array([[UInt8]](repeating: occurrence, count: count).joined())
        let start = ContinuousClock.now
        let kind = refusal(UpdateTenantSettingsRequest.self, bytes)
        print("refused \(count) occurrences in \(bytes.count) bytes after \(ContinuousClock.now - start)")
        #expect(kind == .invalidField(path: "settings", problem: .occursTooOften(limit: ProtoLimits.maximumSingularMessageOccurrences)))
    }

    @Test func aMessageOfMoreFieldsThanTheBoundIsRefusedAndOneAtTheBoundDecodes() throws {
        let limit = ProtoLimits.maximumFieldCount
        // Field 15, unknown to HealthCheckRequest, as a one-byte varint.
        let unknownField: [UInt8] = [0x78, 0x01]
        let atTheBound = Array([[UInt8]](repeating: unknownField, count: limit).joined())
        #expect(try HealthCheckRequest(serializedBytes: atTheBound) == HealthCheckRequest())
        #expect(refusal(HealthCheckRequest.self, atTheBound + unknownField) == .tooManyFields(limit: limit))
        // Nested fields count too: each lead status here is two fields.
        let leadStatus: [UInt8] = [0x12, 0x02, 0x20, 0x01]  // lead_statuses { sort_order: 1 }
        let nested = Array([[UInt8]](repeating: leadStatus, count: limit / 2 + 1).joined())
        #expect(refusal(TenantSettings.self, nested) == .tooManyFields(limit: limit))
    }

    /// Nesting needs no bound of its own only while no message contains itself: a
    /// recursive type added to the API must come with a depth limit in the decoder.
    @Test func noMessageTypeContainsItselfSoTheSchemaBoundsNesting() {
        for type in SFAMessageRegistry.allMessageTypes {
            #expect(!reaches(type.cDescriptor, from: type.cDescriptor, visited: []), "\(type.protoName) contains itself")
        }
    }

    private func reaches(
        _ target: UnsafePointer<ProtobufCMessageDescriptor>,
        from descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        visited: Set<UnsafePointer<ProtobufCMessageDescriptor>>
    ) -> Bool {
        for index in 0..<Int(descriptor.pointee.n_fields) {
            let field = descriptor.pointee.fields[index]
            guard field.type == PROTOBUF_C_TYPE_MESSAGE else { continue }
            let child = field.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
            if child == target { return true }
            if !visited.contains(child), reaches(target, from: child, visited: visited.union([descriptor])) { return true }
        }
        return false
    }
}
