import Foundation
import Testing

@testable import SFAServices

/// `RecordText` normalises ASCII text on its bytes: its keys must be exactly those
/// of the Unicode path it replaced (kept below as the reference), on ASCII and on
/// everything else.
@Suite struct RecordTextTests {
    /// `RecordText` as it was before its ASCII path: Unicode case mapping, grapheme
    /// clusters, Foundation's replacement of the CJK legal forms.
    private enum Reference {
        static func key(_ text: String) -> String {
            text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }

        static func companyKey(_ name: String) -> String {
            let legalForms: Set<String> = [
                "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "gmbh", "ag",
                "kk", "plc", "sa", "sas", "bv", "株式会社", "有限会社", "合同会社", "주식회사", "(주)",
            ]
            var text = name.lowercased()
            for form in ["株式会社", "有限会社", "合同会社", "주식회사", "(주)"] {
                text = text.replacingOccurrences(of: form, with: " ")
            }
            let words = text.split { !$0.isLetter && !$0.isNumber }.map(String.init)
            return words.filter { !legalForms.contains($0) }.joined(separator: " ")
        }

        static func personKey(company: String, firstName: String, lastName: String) -> String {
            let company = companyKey(company)
            let person = key(firstName + " " + lastName)
            guard !company.isEmpty, !person.isEmpty else { return "" }
            return company + "|" + person
        }
    }

    /// Written out: names, addresses and companies as callers send them.
    private static let samples = [
        "", " ", "Acme", "  Acme,   Inc.  ", "ACME Inc", "acme-inc.", "Tanaka Precision 1 K.K.", "O'Brien & Co. Ltd",
        "haruka1@tanaka.example", "HARUKA1@Tanaka.Example", "tab\there", "line\nfeed", "cr\r\nlf", "form\u{0C}feed\u{0B}vt",
        "unit\u{1F}separator", "nul\u{0}byte", "GmbH & Co. KG", "co", "Co.", "inc inc inc", "3M", "7-Eleven, Inc.", "a_b%c\\d",
        "株式会社アクメ", "アクメ株式会社", "アクメ 株式会社", "ＡＣＭＥ　株式会社", "ｱｸﾒ(株)", "有限会社 田中", "合同会社テスト",
        "주식회사 삼성", "(주)삼성", "Société Générale S.A.", "Müller GmbH", "STRASSE", "Straße", "İstanbul AŞ", "ΣΊΣΥΦΟΣ",
        "e\u{301}cole", "\u{E9}cole", " \u{301}x", "a\u{00A0}b", "a\u{3000}b", "a\u{2028}b", "a\u{85}b", "👩‍💻 Dev Co",
        "Ǆemal", "ﬁnance ltd", "Ⅻ Corp", "١٢٣ Co", "\u{FEFF}Acme", "株式会\u{FA4C}", "k\u{200D}k",
    ]

    /// Characters the generated inputs are made of: ASCII, then the non-ASCII kinds
    /// the keys treat specially (case, width, combining marks, whitespace, CJK forms).
    private static let alphabet: [String] =
        (0..<128).map { String(UnicodeScalar(UInt8($0))) } + [
            "É", "é", "ß", "İ", "ı", "Σ", "ς", "Ａ", "ｚ", "１", "ｱ", "ア", "田", "株", "式", "会", "社", "주", "식", "(주)",
            "\u{301}", "\u{308}", "\u{3099}", "\u{00A0}", "\u{3000}", "\u{2009}", "\u{85}", "\r\n", "🇯🇵", "ǅ", "ﬃ",
        ]

    @Test func asciiKeysAreTheUnicodeKeysOfEveryCharacterAndSample() {
        for text in Self.samples + Self.alphabet {
            #expect(RecordText.key(text) == Reference.key(text), "key of \(text.debugDescription)")
            #expect(RecordText.companyKey(text) == Reference.companyKey(text), "companyKey of \(text.debugDescription)")
        }
        for (company, first, last) in [("Acme, Inc.", "Haruka", "Tanaka 1"), ("株式会社アクメ", "遥", "田中"), ("", "A", "B"), ("Inc.", "A", "B"), ("X", " ", "")] {
            #expect(
                RecordText.personKey(company: company, firstName: first, lastName: last)
                    == Reference.personKey(company: company, firstName: first, lastName: last)
            )
        }
    }

    @Test func generatedTextHasTheSameKeysAsBefore() {
        // A fixed seed: the same 20,000 inputs every run, half of them all ASCII.
        var random = AnalyticsDataset.Seeded(state: 0x5A1E_5717E)
        for round in 0..<20_000 {
            let letters = round % 2 == 0 ? Array(Self.alphabet.prefix(128)) : Self.alphabet
            let words = ["inc", "co", "Ltd", "GmbH", "k.k.", "  ", ", ", "株式会社", "Acme"]
            let count = Int(random.next() % 24)
            let text = (0..<count).map { _ in
                random.next() % 4 == 0 ? words[Int(random.next() % UInt64(words.count))] : letters[Int(random.next() % UInt64(letters.count))]
            }.joined()
            #expect(RecordText.key(text) == Reference.key(text), "key of \(text.debugDescription)")
            #expect(RecordText.companyKey(text) == Reference.companyKey(text), "companyKey of \(text.debugDescription)")
        }
    }

    @Test func asciiTextTakesTheBytePathAndOtherTextTheUnicodeOne() {
        #expect(ASCIIText.key("  Haruka\tTANAKA ") == "haruka tanaka")
        #expect(ASCIIText.companyKey("Tanaka Precision, KK.") == "tanaka precision")
        #expect(ASCIIText.key("Ｔａｎａｋａ") == nil)
        #expect(ASCIIText.companyKey("Müller GmbH") == nil)
    }
}
