/// What the generator takes from the `.proto` text itself rather than from the
/// protobuf-c descriptors: the order of declarations in each file, comments (for doc
/// comments), oneof names (protobuf-c keeps only their offsets) and method options.
struct ScannedFile {
    var path: String
    var package = ""
    var messages: [ScannedMessage] = []
    var enums: [ScannedEnum] = []
    var services: [ScannedService] = []
}

struct ScannedMessage {
    var name: String
    var doc: String
    /// Field name → its comment.
    var fieldDocs: [String: String] = [:]
    /// Field name → the oneof it belongs to.
    var oneofOfField: [String: String] = [:]
    /// Oneof names in declaration order.
    var oneofs: [String] = []
}

struct ScannedEnum {
    var name: String
    var doc: String
    var valueDocs: [String: String] = [:]
}

struct ScannedService {
    var name: String
    var doc: String
    var methodDocs: [String: String] = [:]
    /// Methods marked `option idempotency_level = IDEMPOTENT` or `NO_SIDE_EFFECTS`.
    var idempotentMethods: Set<String> = []
}

struct ScanError: Error, CustomStringConvertible {
    var description: String
}

/// A small scanner for the subset of proto3 this project allows (no nested
/// declarations, see proto/README.md). The grammar itself is checked by protoc-c,
/// which runs first; this only picks out names, comments and options.
struct ProtoSourceScanner {
    private var tokens: [Token]
    private var position = 0
    private let path: String

    private struct Token {
        var text: String
        /// The `//` comment lines directly above this token.
        var comment: String
    }

    init(path: String, source: String) {
        self.path = path
        self.tokens = Self.tokenize(source)
    }

    mutating func scan() throws -> ScannedFile {
        var file = ScannedFile(path: path)
        while let token = next() {
            switch token.text {
            case "message":
                file.messages.append(try scanMessage(doc: token.comment))
            case "enum":
                file.enums.append(try scanEnum(doc: token.comment))
            case "service":
                file.services.append(try scanService(doc: token.comment))
            case "package":
                file.package = try name()
                try skipStatement()
            default:
                try skipStatement()
            }
        }
        return file
    }

    private mutating func scanMessage(doc: String) throws -> ScannedMessage {
        var message = ScannedMessage(name: try name(), doc: doc)
        try expect("{")
        var oneof: String?
        while let token = next() {
            switch token.text {
            case "}":
                if oneof != nil {
                    oneof = nil
                } else {
                    return message
                }
            case "oneof":
                let oneofName = try name()
                try expect("{")
                oneof = oneofName
                message.oneofs.append(oneofName)
            case "message", "enum":
                throw ScanError(description: "\(path): nested declarations are not allowed (in \(message.name))")
            case "option", "reserved", "extensions":
                try skipStatement()
            default:
                // A field: [repeated] TYPE NAME = NUMBER [options];  or  map<K, V> NAME = NUMBER;
                var fieldName = ""
                var previous = token.text
                while let part = next(), part.text != ";" {
                    if part.text == "=" { fieldName = previous }
                    if part.text == "[" { try skip(until: "]") }
                    previous = part.text
                }
                guard !fieldName.isEmpty else {
                    throw ScanError(description: "\(path): cannot read a field in \(message.name)")
                }
                message.fieldDocs[fieldName] = token.comment
                if let oneof { message.oneofOfField[fieldName] = oneof }
            }
        }
        throw ScanError(description: "\(path): unterminated message \(message.name)")
    }

    private mutating func scanEnum(doc: String) throws -> ScannedEnum {
        var scanned = ScannedEnum(name: try name(), doc: doc)
        try expect("{")
        while let token = next() {
            switch token.text {
            case "}":
                return scanned
            case "option", "reserved":
                try skipStatement()
            default:
                scanned.valueDocs[token.text] = token.comment
                try skipStatement()
            }
        }
        throw ScanError(description: "\(path): unterminated enum \(scanned.name)")
    }

    private mutating func scanService(doc: String) throws -> ScannedService {
        var service = ScannedService(name: try name(), doc: doc)
        try expect("{")
        while let token = next() {
            switch token.text {
            case "}":
                return service
            case "rpc":
                let method = try name()
                service.methodDocs[method] = token.comment
                // ( Request ) returns ( Response ) then ';' or a body of options.
                while let part = next() {
                    if part.text == ";" { break }
                    if part.text == "{" {
                        while let inner = next(), inner.text != "}" {
                            if inner.text == "idempotency_level" {
                                try expect("=")
                                let level = next()?.text ?? ""
                                if level == "IDEMPOTENT" || level == "NO_SIDE_EFFECTS" {
                                    service.idempotentMethods.insert(method)
                                }
                            }
                        }
                        break
                    }
                }
            default:
                try skipStatement()
            }
        }
        throw ScanError(description: "\(path): unterminated service \(service.name)")
    }

    // MARK: Token helpers

    private mutating func next() -> Token? {
        guard position < tokens.count else { return nil }
        defer { position += 1 }
        return tokens[position]
    }

    private mutating func name() throws -> String {
        guard let token = next() else { throw ScanError(description: "\(path): unexpected end of file") }
        return token.text
    }

    private mutating func expect(_ text: String) throws {
        guard let token = next(), token.text == text else {
            throw ScanError(description: "\(path): expected '\(text)'")
        }
    }

    /// Skips to the end of the current statement: its `;`, or a balanced `{ … }` block.
    private mutating func skipStatement() throws {
        while let token = next() {
            if token.text == ";" { return }
            if token.text == "{" {
                try skip(until: "}")
                return
            }
        }
    }

    private mutating func skip(until closing: String) throws {
        let opening = closing == "}" ? "{" : "["
        var depth = 1
        while let token = next() {
            if token.text == opening { depth += 1 }
            if token.text == closing {
                depth -= 1
                if depth == 0 { return }
            }
        }
        throw ScanError(description: "\(path): missing '\(closing)'")
    }

    /// Splits proto source into identifiers, numbers, strings and punctuation, keeping
    /// the `//` comment block directly above each token (a blank line ends a block),
    /// or else the comment at the end of the token's line.
    private static func tokenize(_ source: String) -> [Token] {
        var tokens: [Token] = []
        var comment: [String] = []
        let punctuation: Set<Character> = ["{", "}", "(", ")", "[", "]", "<", ">", ";", "=", ","]
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.hasPrefix("//") {
                comment.append(String(trimmed.dropFirst(2)).trimmingLeadingSpace())
                continue
            }
            if trimmed.isEmpty {
                comment.removeAll()
                continue
            }
            var code = Substring(trimmed)
            var trailing = ""
            if let range = code.range(of: "//") {
                trailing = String(code[range.upperBound...]).trimmingLeadingSpace()
                code = code[..<range.lowerBound]
            }
            let firstTokenOfLine = tokens.count
            var current = ""
            var inString = false
            func flush() {
                if !current.isEmpty {
                    tokens.append(Token(text: current, comment: comment.joined(separator: "\n")))
                    comment.removeAll()
                    current = ""
                }
            }
            for character in code {
                if inString {
                    current.append(character)
                    if character == "\"" {
                        inString = false
                        flush()
                    }
                } else if character == "\"" {
                    flush()
                    inString = true
                    current.append(character)
                } else if character == " " || character == "\t" || character == "\r" {
                    flush()
                } else if punctuation.contains(character) {
                    flush()
                    current = String(character)
                    flush()
                } else {
                    current.append(character)
                }
            }
            flush()
            // A trailing comment documents the line's declaration when nothing above it does.
            if !trailing.isEmpty, firstTokenOfLine < tokens.count, tokens[firstTokenOfLine].comment.isEmpty {
                tokens[firstTokenOfLine].comment = trailing
            }
        }
        return tokens
    }
}

extension String {
    fileprivate func trimmingLeadingSpace() -> String {
        String(drop(while: { $0 == " " }))
    }
}
