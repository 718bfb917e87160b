/// Turns protobuf names into Swift names.
enum SwiftNaming {
    /// Swift keywords that must be escaped with backticks when used as names.
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch",
        "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
        "return", "throw", "switch", "where", "while", "Any", "as", "false", "is", "nil", "self", "Self",
        "super", "throws", "true", "try", "Type", "Protocol",
    ]

    /// `currency_code` → `currencyCode`; `NOT_SERVING` → `notServing`.
    static func lowerCamel(_ snake: String) -> String {
        let parts = snake.split(separator: "_").map { $0.lowercased() }
        guard let first = parts.first else { return snake }
        let camel = first + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return camel.first?.isNumber == true ? "_" + camel : camel
    }

    /// `probability_override` → `ProbabilityOverride`.
    static func upperCamel(_ snake: String) -> String {
        let camel = lowerCamel(snake)
        return camel.prefix(1).uppercased() + camel.dropFirst()
    }

    /// `LeadStatus` → `LEAD_STATUS`, the prefix of its value names.
    static func upperSnake(_ camel: String) -> String {
        var result = ""
        for (index, character) in camel.enumerated() {
            if character.isUppercase && index > 0 { result += "_" }
            result += character.uppercased()
        }
        return result
    }

    /// A name safe to declare: keywords are wrapped in backticks.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// A documentation comment from proto comment lines, or nothing.
    static func docComment(_ text: String, indent: String) -> [String] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.isEmpty ? "\(indent)///" : "\(indent)/// \(line)"
        }
    }
}

/// Collects lines of Swift source.
struct CodeWriter {
    private(set) var lines: [String] = []

    mutating func callAsFunction(_ line: String = "") {
        lines.append(line)
    }

    mutating func append(_ more: [String]) {
        lines.append(contentsOf: more)
    }

    var text: String { lines.joined(separator: "\n") + "\n" }
}
