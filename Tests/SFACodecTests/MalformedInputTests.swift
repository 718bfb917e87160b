import CProtobufC
import SFAMessages
import Testing

/// Bytes that are not a valid encoding must give a `ProtoCodecError`, never a crash.
@Suite struct MalformedInputTests {
    /// Every prefix of a valid encoding either fails to decode or was cut exactly at
    /// a field boundary, in which case it decodes to a message that encodes back to
    /// exactly that prefix.
    @Test func everyTruncationOfEveryMessageFailsCleanly() throws {
        var failures = 0
        for type in SFAMessageRegistry.allMessageTypes {
            failures += try checkPrefixes(type)
        }
        #expect(failures > 1000)
    }

    private func checkPrefixes<M: ProtoMessage>(_: M.Type) throws -> Int {
        let encoding = DescriptorSampleBuilder().encodedSample(of: M.cDescriptor)
        var failures = 0
        for length in 0..<encoding.count {
            let prefix = Array(encoding[..<length])
            do {
                let decoded = try M(serializedBytes: prefix)
                #expect(decoded.serializedBytes() == prefix, "\(M.protoName): prefix of \(length) bytes")
            } catch {
                #expect(error.kind == .malformed)
                #expect(error.messageName == M.protoName)
                failures += 1
            }
        }
        return failures
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var generator = SplitMix64(seed: 0x5A1E5)
        var decodedCount = 0
        for type in SFAMessageRegistry.allMessageTypes {
            decodedCount += decodeRandom(type, rounds: 200, using: &generator)
        }
        // Some random inputs are valid by chance; most are not.
        #expect(decodedCount < SFAMessageRegistry.allMessageTypes.count * 200)
    }

    private func decodeRandom<M: ProtoMessage>(_: M.Type, rounds: Int, using generator: inout SplitMix64) -> Int {
        var decodedCount = 0
        for _ in 0..<rounds {
            let length = Int(generator.next() % 96)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if let message = try? M(serializedBytes: bytes) {
                // Whatever decodes must encode to something that decodes to the same bytes again.
                let canonical = message.serializedBytes()
                #expect((try? M(serializedBytes: canonical))?.serializedBytes() == canonical)
                decodedCount += 1
            }
        }
        return decodedCount
    }

    @Test func flippedBitsInValidEncodingsNeverCrash() {
        var generator = SplitMix64(seed: 42)
        for type in SFAMessageRegistry.allMessageTypes {
            flipBits(type, using: &generator)
        }
    }

    private func flipBits<M: ProtoMessage>(_: M.Type, using generator: inout SplitMix64) {
        let encoding = DescriptorSampleBuilder().encodedSample(of: M.cDescriptor)
        guard !encoding.isEmpty else { return }
        for _ in 0..<50 {
            var corrupted = encoding
            let index = Int(generator.next() % UInt64(encoding.count))
            corrupted[index] ^= UInt8(1 << (generator.next() % 8))
            _ = try? M(serializedBytes: corrupted)
        }
    }

    @Test func inputOverTheLimitIsRefusedBeforeDecoding() throws {
        let money = Money(currencyCode: "EUR", amountMinor: 1)
        let bytes = money.serializedBytes()
        #expect(throws: ProtoCodecError(kind: .tooLarge, messageName: "sfa.v1.Money", byteCount: bytes.count)) {
            try Money(serializedBytes: bytes, maximumSize: bytes.count - 1)
        }
        #expect(try Money(serializedBytes: bytes, maximumSize: bytes.count) == money)
    }

    @Test func wrongWireTypeForAKnownFieldIsMalformed() {
        // Field 2 (amount_minor, a varint) sent as length-delimited.
        #expect(throws: ProtoCodecError.self) {
            try Money(serializedBytes: [0x12, 0x01, 0x00])
        }
    }

    @Test func lengthPrefixPastTheEndIsMalformed() {
        // Field 1 claims 0x7fffffff bytes of string but the input ends.
        #expect(throws: ProtoCodecError.self) {
            try Money(serializedBytes: [0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x41])
        }
    }
}

/// A small seeded generator so that fuzz runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
