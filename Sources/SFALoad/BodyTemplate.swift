import Foundation
public import SFAProtoJSON

/// A request body in proto3 JSON with `{{generator}}` fields, filled in afresh
/// for every call. A generator inside a JSON string puts its text there; one outside
/// any string is JSON text itself, so `{{int 1 9}}` makes a number:
///
/// - `{{seq}}` the call's number in the run; `{{uuid}}`; `{{int A B}}` from A to B;
///   `{{pick a|b|c}}` one of the choices; `{{word}}`, `{{name}}`, `{{company}}`,
///   `{{email}}` (unique per call); `{{now_ms}}`; `{{date}}` today, `{{date +N}}` in
///   N days (YYYY-MM-DD, UTC);
/// - the tenant's records (a keys file written by `sfa-load setup` has them):
///   `{{tenant}}`, `{{user}}`, `{{lead}}`, `{{account}}`, `{{opportunity}}`,
///   `{{pipeline}}`, `{{stage}}`.
///
/// The JSON is parsed once, when the template is made (`BodyTemplate+Parsing.swift`):
/// a call fills the generators' values into that tree rather than writing the body's
/// text and parsing it again (writing, parsing and encoding the body were two fifths
/// of the load tool's work per CreateLead; docs/benchmarks.md). Only a generator
/// outside any string has its text parsed per call. The characters U+E000–U+E002 are
/// reserved: they mark the generator fields while the template is parsed.
public struct BodyTemplate: Sendable {
    enum Generator: Sendable {
        case sequence, uuid, word, name, company, email, nowMs
        case integer(ClosedRange<Int>)
        case pick([String])
        case date(offsetDays: Int)
        case record(TenantFixture.Field)
    }

    /// Text of the template, or the value of its generator number `n`.
    enum Piece: Sendable {
        case literal(String)
        case generator(Int)
    }

    indirect enum Node: Sendable {
        case fixed(JSONValue)
        /// A string with generator fields in it.
        case string([Piece])
        /// JSON text outside any string with generator fields in it, such as `{{int 1 9}}`.
        case bare([Piece])
        case array([Node])
        /// An object; a key may have generator fields in it (a map's keys).
        case object([(key: [Piece], value: Node)])
    }

    let generators: [Generator]
    let root: Node

    /// True when the body is the same for every call (it can be encoded once).
    public var isConstant: Bool { generators.isEmpty }

    /// True when the bodies are few: made only of the tenants' records and choices
    /// (`{{lead}}`, `{{pick …}}`), so that each distinct one can be encoded once.
    public var isBounded: Bool {
        generators.allSatisfy {
            switch $0 {
            case .record, .pick: true
            default: false
            }
        }
    }

    /// - Throws: `LoadError` for an unknown generator, a malformed generator field, a
    ///   generator outside quotes in a key, a reserved character (U+E000–U+E002), or
    ///   a template that is not JSON.
    public init(_ text: String) throws {
        var pieces: [Piece] = []
        var generators: [Generator] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            pieces.append(.literal(String(rest[..<open.lowerBound])))
            guard let close = rest[open.upperBound...].range(of: "}}") else { throw LoadError("an unclosed {{ in the body template") }
            pieces.append(.generator(generators.count))
            generators.append(try Self.generator(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        pieces.append(.literal(String(rest)))
        self.generators = generators
        self.root = try Self.tree(pieces, generatorCount: generators.count)
    }

    private static func generator(_ spec: String) throws -> Generator {
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

    /// The text of each generator field for call number `sequence` to `tenant`, in
    /// order: what makes one body differ from another.
    /// - Throws: `LoadError` when the template names a record the tenant's fixture lacks.
    public func values(sequence: Int, tenant: TenantFixture, random: inout RandomSource) throws -> [String] {
        var values: [String] = []
        values.reserveCapacity(generators.count)
        for generator in generators {
            values.append(try Self.value(of: generator, sequence: sequence, tenant: tenant, random: &random))
        }
        return values
    }

    private static func value(of generator: Generator, sequence: Int, tenant: TenantFixture, random: inout RandomSource) throws -> String {
        switch generator {
        case .sequence: return String(sequence)
        case .uuid: return UUID().uuidString.lowercased()
        case .word: return SampleText.word(using: &random)
        case .name: return SampleText.firstNames.randomElement(using: &random)!
        case .company: return SampleText.companies.randomElement(using: &random)!
        case .email: return "load\(sequence)-\(random.next() % 1_000_000)@\(SampleText.word(using: &random)).example"
        case .nowMs: return String(Int64(Date().timeIntervalSince1970 * 1000))
        case .integer(let range): return String(Int.random(in: range, using: &random))
        case .pick(let choices): return choices.randomElement(using: &random)!
        case .date(let offset): return SampleText.isoDate(daysFromToday: offset)
        case .record(let field):
            guard let value = tenant.values(of: field).randomElement(using: &random), !value.isEmpty else {
                throw LoadError("the tenant has no \(field.rawValue): use a keys file from sfa-load setup")
            }
            return value
        }
    }

    /// The body with `values` (from ``values(sequence:tenant:random:)``) in its
    /// generator fields.
    /// - Throws: `LoadError` when a generator outside any string makes text that is
    ///   not JSON.
    public func body(_ values: [String]) throws -> JSONValue {
        try fill(root, values)
    }

    /// The body of call number `sequence` to `tenant`.
    /// - Throws: `LoadError` when the template names a record the tenant's fixture
    ///   lacks, or a generator outside any string makes text that is not JSON.
    public func render(sequence: Int, tenant: TenantFixture, random: inout RandomSource) throws -> JSONValue {
        try body(values(sequence: sequence, tenant: tenant, random: &random))
    }

    private func fill(_ node: Node, _ values: [String]) throws -> JSONValue {
        switch node {
        case .fixed(let value): return value
        case .string(let pieces): return .string(Self.text(pieces, values))
        case .bare(let pieces):
            let text = Self.text(pieces, values)
            do {
                return try JSONValue.parse(text)
            } catch {
                throw LoadError("a generator field outside quotes made \(text), which is not JSON: \(error)")
            }
        case .array(let elements): return .array(try elements.map { try fill($0, values) })
        case .object(let members): return .object(try members.map { (Self.text($0.key, values), try fill($0.value, values)) })
        }
    }

    private static func text(_ pieces: [Piece], _ values: [String]) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .generator(let index): out += values[index]
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
