import Foundation

/// A request body in proto3 JSON with `{{generator}}` fields, filled in afresh
/// for every call. Generator fields are replaced by plain text, so one inside a JSON
/// string makes a string and one outside makes a number:
///
/// - `{{seq}}` the call's number in the run; `{{uuid}}`; `{{int A B}}` from A to B;
///   `{{pick a|b|c}}` one of the choices; `{{word}}`, `{{name}}`, `{{company}}`,
///   `{{email}}` (unique per call); `{{now_ms}}`; `{{date}}` today, `{{date +N}}` in
///   N days (YYYY-MM-DD, UTC);
/// - the tenant's records (a keys file written by `sfa-load setup` has them):
///   `{{tenant}}`, `{{user}}`, `{{lead}}`, `{{account}}`, `{{opportunity}}`,
///   `{{pipeline}}`, `{{stage}}`.
public struct BodyTemplate: Sendable {
    private enum Part: Sendable {
        case text(String)
        case sequence, uuid, word, name, company, email, nowMs
        case integer(ClosedRange<Int>)
        case pick([String])
        case date(offsetDays: Int)
        case record(TenantFixture.Field)
    }

    private let parts: [Part]

    /// True when the body is the same for every call (it can be encoded once).
    public var isConstant: Bool { parts.allSatisfy { if case .text = $0 { true } else { false } } }

    /// True when the bodies are few: made only of the tenants' records and choices
    /// (`{{lead}}`, `{{pick …}}`), so that each distinct one can be encoded once.
    public var isBounded: Bool {
        parts.allSatisfy {
            switch $0 {
            case .text, .record, .pick: true
            default: false
            }
        }
    }

    /// - Throws: `LoadError` for an unknown generator or a malformed generator field.
    public init(_ text: String) throws {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            parts.append(.text(String(rest[..<open.lowerBound])))
            guard let close = rest[open.upperBound...].range(of: "}}") else { throw LoadError("an unclosed {{ in the body template") }
            parts.append(try Self.generator(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        parts.append(.text(String(rest)))
        self.parts = parts.filter { if case .text(let text) = $0 { !text.isEmpty } else { true } }
    }

    private static func generator(_ spec: String) throws -> Part {
        let words = spec.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = words.count > 1 ? words[1] : ""
        switch words.first ?? "" {
        case "seq": return .sequence
        case "uuid": return .uuid
        case "word": return .word
        case "name": return .name
        case "company": return .company
        case "email": return .email
        case "now_ms": return .nowMs
        case "int":
            let bounds = argument.split(separator: " ").compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] <= bounds[1] else { throw LoadError("{{int A B}} needs two integers, A ≤ B: {{\(spec)}}") }
            return .integer(bounds[0]...bounds[1])
        case "pick":
            let choices = argument.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard !argument.isEmpty else { throw LoadError("{{pick a|b|c}} needs choices: {{\(spec)}}") }
            return .pick(choices)
        case "date":
            guard argument.isEmpty || Int(argument) != nil else { throw LoadError("{{date +N}} needs a number of days: {{\(spec)}}") }
            return .date(offsetDays: Int(argument) ?? 0)
        default:
            guard let field = TenantFixture.Field(rawValue: spec) else {
                throw LoadError("unknown generator {{\(spec)}} (docs/sfa-load.md lists them)")
            }
            return .record(field)
        }
    }

    /// The body of call number `sequence` to `tenant`.
    /// - Throws: `LoadError` when the template names a record the tenant's fixture lacks.
    public func render(sequence: Int, tenant: TenantFixture, random: inout RandomSource) throws -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .sequence: out += String(sequence)
            case .uuid: out += UUID().uuidString.lowercased()
            case .word: out += SampleText.word(using: &random)
            case .name: out += SampleText.firstNames.randomElement(using: &random)!
            case .company: out += SampleText.companies.randomElement(using: &random)!
            case .email: out += "load\(sequence)-\(random.next() % 1_000_000)@\(SampleText.word(using: &random)).example"
            case .nowMs: out += String(Int64(Date().timeIntervalSince1970 * 1000))
            case .integer(let range): out += String(Int.random(in: range, using: &random))
            case .pick(let choices): out += choices.randomElement(using: &random)!
            case .date(let offset): out += SampleText.isoDate(daysFromToday: offset)
            case .record(let field):
                guard let value = tenant.values(of: field).randomElement(using: &random), !value.isEmpty else {
                    throw LoadError("the tenant has no \(field.rawValue): use a keys file from sfa-load setup")
                }
                out += value
            }
        }
        return out
    }
}

/// Words for generated records: names and companies from the markets the product
/// serves, and pronounceable nonsense.
enum SampleText {
    static let firstNames = ["Haruka", "Ji-woo", "Emma", "Liam", "Yuki", "Min-seo", "Noah", "Aiko", "Sofia", "Kenji", "Seo-yeon", "Lucas"]
    static let lastNames = ["Tanaka", "Kim", "Schulz", "Walsh", "Sato", "Park", "Martin", "Suzuki", "Rossi", "Ito", "Lee", "Dubois"]
    static let companies = [
        "Tanaka Precision", "Seoul Smart Factory", "Schulz Maschinenbau", "Walsh and Sons", "Sato Retail", "Park Medical",
        "Martin Construction", "Suzuki Textiles", "Hanbit Logistics", "Kitsune Foods", "Northwind Traders", "Contoso Foods",
    ]
    private static let syllables = ["ka", "ri", "to", "mo", "na", "se", "lu", "pe", "da", "vi", "ko", "ra"]

    static func word(using random: inout RandomSource) -> String {
        (0..<3).map { _ in syllables.randomElement(using: &random)! }.joined()
    }

    /// Today plus `days`, as YYYY-MM-DD in UTC.
    static func isoDate(daysFromToday days: Int) -> String {
        let seconds = Int(Date().timeIntervalSince1970) + days * 86_400
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday)
    }
}
