import SFAProtoJSON

/// How a template's text becomes the tree a call fills in: the generator fields are
/// replaced by markers, the result is parsed as JSON once, and the markers found in
/// the parsed strings become the places to fill.
extension BodyTemplate {
    // Markers from Unicode's private use area stand for the generator fields while the
    // template is parsed: `inString` + n + `end` inside a string, and a string holding
    // `bare` + n + `end` for run n of JSON text outside strings.
    private static let inString: Unicode.Scalar = "\u{E000}"
    private static let bare: Unicode.Scalar = "\u{E001}"
    private static let end: Unicode.Scalar = "\u{E002}"
    private static let reserved = "the characters U+E000–U+E002 are reserved in body templates"

    /// The tree of a template cut into `pieces` (text and generator fields).
    static func tree(_ pieces: [Piece], generatorCount: Int) throws -> Node {
        for case .literal(let text) in pieces where text.unicodeScalars.contains(where: { (inString...end).contains($0) }) {
            throw LoadError(reserved)
        }
        let (skeleton, bareRuns) = skeleton(pieces)
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(skeleton)
        } catch {
            throw LoadError("the body template is not JSON, generator fields aside: \(error)")
        }
        var markers = Markers(generatorCount: generatorCount, bareRuns: bareRuns)
        let root = try node(parsed, &markers)
        // A marker written as a JSON escape (`\uE000`) would stand for a generator twice
        // or leave one out.
        guard markers.generators.count == generatorCount, markers.runs.count == bareRuns.count else { throw LoadError(reserved) }
        return root
    }

    /// The markers met in the parsed template, each of which must stand for a
    /// generator field or bare run of the template, once.
    private struct Markers {
        let generatorCount: Int
        let bareRuns: [[Piece]]
        var generators: Set<Int> = []
        var runs: Set<Int> = []

        init(generatorCount: Int, bareRuns: [[Piece]]) {
            self.generatorCount = generatorCount
            self.bareRuns = bareRuns
        }

        mutating func generator(_ index: Int) throws -> Piece {
            guard index < generatorCount, generators.insert(index).inserted else { throw LoadError(BodyTemplate.reserved) }
            return .generator(index)
        }

        mutating func run(_ index: Int) throws -> [Piece] {
            guard index < bareRuns.count, runs.insert(index).inserted else { throw LoadError(BodyTemplate.reserved) }
            for case .generator(let generator) in bareRuns[index] {
                guard generators.insert(generator).inserted else { throw LoadError(BodyTemplate.reserved) }
            }
            return bareRuns[index]
        }
    }

    /// The template as JSON, with markers for its generator fields; and the runs of
    /// text outside strings that hold generators (such as `{{int 1 9}}`, or
    /// `-1{{int 0 9}}`). Read by Unicode scalar, as the JSON parser reads bytes: a
    /// quote followed by a combining mark is still a quote.
    private static func skeleton(_ pieces: [Piece]) -> (String, [[Piece]]) {
        var out = String.UnicodeScalarView()
        var bareRuns: [[Piece]] = []
        var run: [Piece] = []
        var runHasGenerator = false
        var quoted = false
        var escaped = false
        func endRun() {
            guard !run.isEmpty else { return }
            if runHasGenerator {
                out.append(contentsOf: "\"\(bare)\(bareRuns.count)\(end)\"".unicodeScalars)
                bareRuns.append(run)
            } else {
                for case .literal(let text) in run { out.append(contentsOf: text.unicodeScalars) }
            }
            run = []
            runHasGenerator = false
        }
        for piece in pieces {
            switch piece {
            case .generator(let index) where quoted:
                out.append(contentsOf: "\(inString)\(index)\(end)".unicodeScalars)
                escaped = false
            case .generator:
                run.append(piece)
                runHasGenerator = true
            case .literal(let text):
                for scalar in text.unicodeScalars {
                    if quoted {
                        out.append(scalar)
                        if escaped {
                            escaped = false
                        } else if scalar == "\\" {
                            escaped = true
                        } else if scalar == "\"" {
                            quoted = false
                        }
                    } else if "\"{}[],: \t\n\r".unicodeScalars.contains(scalar) {
                        endRun()
                        out.append(scalar)
                        quoted = scalar == "\""
                    } else {
                        run.append(.literal(String(scalar)))
                    }
                }
            }
        }
        endRun()
        return (String(out), bareRuns)
    }

    /// The parsed skeleton as a tree to fill in.
    private static func node(_ value: JSONValue, _ markers: inout Markers) throws -> Node {
        switch value {
        case .string(let text) where text.unicodeScalars.first == bare:
            // `bare` + n + `end`.
            let scalars = Substring(text).unicodeScalars
            guard scalars.last == end else { throw LoadError(reserved) }
            return .bare(try markers.run(try index(String(scalars.dropFirst().dropLast()))))
        case .string(let text) where text.unicodeScalars.contains(inString):
            return .string(try markedPieces(text, &markers))
        case .array(let elements):
            return .array(try elements.map { try node($0, &markers) })
        case .object(let members):
            return .object(
                try members.map { member in
                    guard member.key.unicodeScalars.first != bare else {
                        throw LoadError("a generator outside quotes in a key of the body template: put it in quotes")
                    }
                    return (try markedPieces(member.key, &markers), try node(member.value, &markers))
                }
            )
        default:
            return .fixed(value)
        }
    }

    /// A string's text and generator markers, in order.
    private static func markedPieces(_ text: String, _ markers: inout Markers) throws -> [Piece] {
        var pieces: [Piece] = []
        var literal = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            switch scalar {
            case inString:
                if !literal.isEmpty { pieces.append(.literal(String(literal))) }
                literal = String.UnicodeScalarView()
                var digits = ""
                var closed = false
                while let digit = scalars.next() {
                    if digit == end { closed = true; break }
                    digits.unicodeScalars.append(digit)
                }
                guard closed else { throw LoadError(reserved) }
                pieces.append(try markers.generator(try index(digits)))
            case bare, end:
                throw LoadError(reserved)
            default:
                literal.append(scalar)
            }
        }
        if !literal.isEmpty || pieces.isEmpty { pieces.append(.literal(String(literal))) }
        return pieces
    }

    /// The number written in a marker.
    private static func index(_ digits: String) throws -> Int {
        guard let index = Int(digits), index >= 0 else { throw LoadError(reserved) }
        return index
    }
}
