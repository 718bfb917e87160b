// sfa-codec-bench: the cost of the Swift binding over protobuf-c called straight from C.
//
//   swift run -c release sfa-codec-bench
//
// For a typical Lead and a 20-line Quote it times, in the same run:
//   encode  Swift value → C struct in an arena → get_packed_size + pack into a reused buffer
//   C pack  get_packed_size + pack of the very same C struct, looped in C
//   decode  protobuf_c_message_unpack → Swift value → free_unpacked
//   C unpack  unpack + free_unpacked, looped in C
// Each figure is the best of several rounds (the machine is shared and noisy); the
// ratio Swift ÷ C is what matters. Goal (issue #2): at most 2×.
import CCodecBenchReference
#if canImport(Glibc)
    import Glibc  // for the libm behind `rounded()`
#endif
import CProtobufC
import SFAMessages

let rounds = 7
let targetRoundSeconds = 0.15

func sampleLead() -> Lead {
    Lead(
        id: "lead_01HZX4K7Q2M3N8P5R6S7T8V9W0",
        version: 3,
        firstName: "Haruka",
        lastName: "Tanaka",
        email: "haruka.tanaka@example.co.jp",
        phone: "+81 3-1234-5678",
        companyName: "Tanaka Precision Manufacturing K.K.",
        jobTitle: "Head of Procurement",
        website: "https://tanaka-precision.example.co.jp",
        source: .webinar,
        sourceDetail: "2026 Q3 smart factory webinar",
        lifecycle: .mql,
        status: .contacted,
        ownerUserId: "user_01HZX4K7Q2M3N8P5R6S7T8V9W1",
        externalId: "ma-884213",
        notes: "Asked for a demo of the quoting module; budget cycle starts in April.",
        customFields: ["utm_source": "newsletter", "utm_campaign": "smart-factory-2026"],
        createdByUserId: "user_01HZX4K7Q2M3N8P5R6S7T8V9W1",
        createTimeMs: 1_790_000_000_000,
        updateTimeMs: 1_790_000_360_000
    )
}

func sampleQuote() -> Quote {
    func yen(_ amount: Int64) -> Money { Money(currencyCode: "JPY", amountMinor: amount) }
    let lines = (1...20).map { index in
        QuoteLine(
            id: "qli_\(index)",
            productCode: "SKU-\(1000 + index)",
            description: "Precision bearing assembly, series \(index)",
            quantityMilli: Int64(index) * 1500,
            unitPrice: yen(12_800),
            discountBps: 500,
            taxRateBps: 1000,
            grossAmount: yen(Int64(index) * 19_200),
            discountAmount: yen(Int64(index) * 960),
            netAmount: yen(Int64(index) * 18_240),
            taxAmount: yen(Int64(index) * 1_824),
            totalAmount: yen(Int64(index) * 20_064)
        )
    }
    return Quote(
        id: "quot_01HZX4K7Q2M3N8P5R6S7T8V9W2",
        version: 2,
        opportunityId: "opp_01HZX4K7Q2M3N8P5R6S7T8V9W3",
        accountId: "acct_01HZX4K7Q2M3N8P5R6S7T8V9W4",
        contactId: "cont_01HZX4K7Q2M3N8P5R6S7T8V9W5",
        quoteNumber: "Q-000123",
        revision: 1,
        name: "Bearings for line 3 retrofit",
        status: .draft,
        currencyCode: "JPY",
        lines: lines,
        validUntilDate: "2026-12-31",
        terms: "Net 30, delivery within 6 weeks",
        subtotal: yen(3_840_000),
        discountTotal: yen(192_000),
        netTotal: yen(3_648_000),
        taxTotal: yen(364_800),
        grandTotal: yen(4_012_800),
        effectiveDiscountBps: 500,
        ownerUserId: "user_01HZX4K7Q2M3N8P5R6S7T8V9W1",
        createdByUserId: "user_01HZX4K7Q2M3N8P5R6S7T8V9W1",
        createTimeMs: 1_790_000_000_000,
        updateTimeMs: 1_790_000_360_000
    )
}

/// Nanoseconds per operation: the best of `rounds` rounds of `iterations` calls of `body`.
func nanosecondsPerOperation(iterations: Int, _ body: (Int) -> Int) -> Double {
    var best = Double.infinity
    var sink = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        sink &+= body(iterations)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        best = min(best, seconds * 1e9 / Double(iterations))
    }
    if sink == 42 { print("") }  // keeps the work observable
    return best
}

/// Enough iterations for one round to take about `targetRoundSeconds`.
func calibrate(_ body: (Int) -> Int) -> Int {
    var iterations = 64
    while true {
        let start = ContinuousClock.now
        _ = body(iterations)
        let elapsed = ContinuousClock.now - start
        if elapsed > .milliseconds(Int(targetRoundSeconds * 1000 / 4)) || iterations > 1 << 26 {
            let perCall = Double(elapsed.components.attoseconds) * 1e-18 + Double(elapsed.components.seconds)
            return max(1, Int(targetRoundSeconds / (perCall / Double(iterations))))
        }
        iterations *= 4
    }
}

struct Row {
    var name: String
    var bytes: Int
    var swiftEncode: Double
    var cPack: Double
    var swiftDecode: Double
    var cUnpack: Double
}

func measure<M: ProtoMessage>(_ name: String, _ message: M) -> Row {
    let encoded = message.serializedBytes()
    let out = UnsafeMutableRawPointer.allocate(byteCount: encoded.count + 64, alignment: 16)
    defer { out.deallocate() }

    let swiftEncodeBody: (Int) -> Int = { iterations in
        var total = 0
        for _ in 0..<iterations {
            total &+= message.encode { size, pack in pack(out) &+ size }
        }
        return total
    }
    let cPackBody: (Int) -> Int = { iterations in
        message.withCMessage { cMessage in
            sfa_bench_c_pack(cMessage, out.assumingMemoryBound(to: UInt8.self), iterations)
        }
    }
    let swiftDecodeBody: (Int) -> Int = { iterations in
        encoded.withUnsafeBytes { buffer in
            var total = 0
            for _ in 0..<iterations {
                do {
                    let decoded = try M(serializedBytes: buffer)
                    withExtendedLifetime(decoded) { total &+= 1 }
                } catch {
                    return 0
                }
            }
            return total
        }
    }
    let cUnpackBody: (Int) -> Int = { iterations in
        encoded.withUnsafeBufferPointer { buffer in
            sfa_bench_c_unpack(M.cDescriptor, buffer.baseAddress, buffer.count, iterations)
        }
    }
    // Check the reference does the same work before timing it.
    precondition(encoded.withUnsafeBytes { try? M(serializedBytes: $0) } == message, "decode does not round-trip")
    precondition(cUnpackBody(1) > 0, "protobuf-c could not unpack the sample")

    let encodeIterations = calibrate(swiftEncodeBody)
    let decodeIterations = calibrate(swiftDecodeBody)
    return Row(
        name: name,
        bytes: encoded.count,
        swiftEncode: nanosecondsPerOperation(iterations: encodeIterations, swiftEncodeBody),
        cPack: nanosecondsPerOperation(iterations: encodeIterations, cPackBody),
        swiftDecode: nanosecondsPerOperation(iterations: decodeIterations, swiftDecodeBody),
        cUnpack: nanosecondsPerOperation(iterations: decodeIterations, cUnpackBody)
    )
}

func format(_ value: Double, decimals: Int = 0) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return decimals == 0 ? String(Int(rounded)) : String(rounded)
}

let rows = [measure("Lead", sampleLead()), measure("Quote (20 lines)", sampleQuote())]
print("message            bytes  encode ns  C pack ns  ratio  decode ns  C unpack ns  ratio")
for row in rows {
    let columns = [
        row.name.rightPadded(17),
        String(row.bytes).leftPadded(6),
        format(row.swiftEncode).leftPadded(10),
        format(row.cPack).leftPadded(10),
        format(row.swiftEncode / row.cPack, decimals: 2).leftPadded(6),
        format(row.swiftDecode).leftPadded(10),
        format(row.cUnpack).leftPadded(12),
        format(row.swiftDecode / row.cUnpack, decimals: 2).leftPadded(6),
    ]
    print(columns.joined(separator: " "))
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
    func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
