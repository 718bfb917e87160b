import Foundation

/// Lists bound as one JSON argument (`x IN (SELECT value FROM json_each(?))`), so a
/// statement's text does not depend on how many values a filter has and SQLite's
/// limit on variables cannot be reached.
enum SQLJSON {
    static func array(_ values: [String]) -> String {
        // Encoding an array of strings cannot fail.
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func array(_ values: [Int32]) -> String {
        "[" + values.map(String.init).joined(separator: ",") + "]"
    }
}
