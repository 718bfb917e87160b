import Testing

@testable import SFAServices

/// `Validation.text` and `Validation.email` check printable ASCII on its bytes: their
/// violations must be exactly those of the Unicode checks they replaced (kept below
/// as the reference), on ASCII and on everything else.
@Suite struct ValidationTextTests {
    /// The checks as they were before the byte path: grapheme clusters, each scalar's
    /// general category, Character-based splitting.
    private enum Reference {
        static func text(_ value: String, _ field: String, required: Bool, maximumLength: Int, into validation: inout Validation) {
            if value.isEmpty {
                validation.check(!required, field, .required, "is required")
                return
            }
            validation.check(value.count <= maximumLength, field, .tooLong, "is longer than \(maximumLength) characters")
            validation.check(!value.unicodeScalars.contains { $0.properties.generalCategory == .control }, field, .invalidFormat, "contains control characters")
        }

        static func email(_ value: String, _ field: String, required: Bool, into validation: inout Validation) {
            text(value, field, required: required, maximumLength: 254, into: &validation)
            guard !value.isEmpty else { return }
            let parts = value.split(separator: "@", omittingEmptySubsequences: false)
            let valid = parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
                && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !value.contains(" ")
            validation.check(valid, field, .invalidFormat, "is not an email address")
        }
    }

    /// What the two sides found, comparable.
    private static func found(_ validation: Validation) -> [String] {
        validation.violations.map { "\($0.field) \($0.reason) \($0.description)" }
    }

    private static func expectSameViolations(_ value: String, maximumLength: Int = 12) {
        for required in [true, false] {
            var fast = Validation()
            var reference = Validation()
            fast.text(value, "f", required: required, maximumLength: maximumLength)
            Reference.text(value, "f", required: required, maximumLength: maximumLength, into: &reference)
            fast.email(value, "e", required: required)
            Reference.email(value, "e", required: required, into: &reference)
            #expect(found(fast) == found(reference), "violations of \(value.debugDescription)")
        }
    }

    private static let samples = [
        "", " ", "a", "haruka@tanaka.example", "@tanaka.example", "haruka@", "haruka@tanaka", "haruka@.example", "haruka@example.",
        "a@b@c.d", "a b@c.d", "a@b.c ", "exactly12chr", "thirteen char", "cr\r\nlf", "tab\there", "del\u{7F}", "nul\u{0}",
        "\r\n\r\n\r\n\r\n\r\n\r\n\r\n", "tanaka@例え.jp", "田中@example.jp", "e\u{301}cole@x.fr", "a@b.c\u{301}", "@\u{301}x.y",
        "a\u{85}b", "a\u{2028}b", "a\u{00A0}b@c.d", "👩‍💻@dev.co", "ＡＣＭＥ", "\u{FEFF}a@b.c",
    ]

    /// ASCII (printable and not), then the non-ASCII kinds the checks treat specially.
    private static let alphabet: [String] =
        (0..<128).map { String(UnicodeScalar(UInt8($0))) } + ["@", ".", " ", "é", "\u{301}", "\u{85}", "\u{9F}", "\r\n", "田", "👩‍💻", "\u{00A0}"]

    @Test func theByteChecksFindWhatTheUnicodeChecksFoundOnEverySample() {
        for value in Self.samples + Self.alphabet { Self.expectSameViolations(value) }
    }

    @Test func addressesAtAndAroundTheLengthLimitGetTheSameViolations() {
        // 254 characters is the limit of an address: one under, at and over it, in
        // ASCII and with a character of two scalars (é as e and a combining accent).
        for length in [253, 254, 255] {
            let domain = "@example.jp"
            for filler in ["a", "e\u{301}"] {
                let value = String(repeating: filler, count: length - domain.count) + domain
                Self.expectSameViolations(value, maximumLength: 254)
            }
        }
        var validation = Validation()
        validation.email(String(repeating: "a", count: 244) + "@example.jp", "e")
        #expect(validation.violations.map(\.description) == ["is longer than 254 characters"])
    }

    @Test func generatedTextGetsTheSameViolationsAsBefore() {
        // A fixed seed: the same 20,000 inputs every run, half of them all ASCII, and
        // '@', '.' and ' ' frequent enough to make every shape of address.
        var random = AnalyticsDataset.Seeded(state: 0xE_3A11)
        for round in 0..<20_000 {
            let letters = round % 2 == 0 ? Array(Self.alphabet.prefix(128)) : Self.alphabet
            let count = Int(random.next() % 20)
            let value = (0..<count).map { _ in
                random.next() % 3 == 0 ? ["@", ".", " ", "a"][Int(random.next() % 4)] : letters[Int(random.next() % UInt64(letters.count))]
            }.joined()
            Self.expectSameViolations(value)
        }
    }

    @Test func printableASCIIIsSpaceToTilde() {
        #expect(Validation.isPrintableASCII(" ~Acme, Inc. <a@b.c>"))
        #expect(!Validation.isPrintableASCII("tab\there"))
        #expect(!Validation.isPrintableASCII("del\u{7F}"))
        #expect(!Validation.isPrintableASCII("Müller"))
    }
}
