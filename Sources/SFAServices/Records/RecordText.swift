/// Normalised text for matching and searching records.
///
/// `key`, `companyKey` and `personKey` run for every lead, contact and account
/// written. Text that is all ASCII (most names, every e-mail address) is normalised
/// on its UTF-8 bytes, which gives exactly what the general Unicode path gives for
/// it (`RecordTextTests` checks them against each other) at a small fraction of its
/// cost; other text takes the general path, whose case mapping, grapheme clusters and
/// legal-form matching need Unicode's tables.
enum RecordText {
    /// Lower case, trimmed, inner whitespace collapsed.
    static func key(_ text: String) -> String {
        if let key = ASCIIText.key(text) { return key }
        return text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Legal-form words a company key leaves out.
    static let legalForms: Set<String> = [
        "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "gmbh", "ag",
        "kk", "plc", "sa", "sas", "bv", "株式会社", "有限会社", "合同会社", "주식회사", "(주)",
    ]

    /// A company name without punctuation and legal-form words, so that "Acme, Inc."
    /// and "ACME Inc" (or "株式会社アクメ" and "アクメ株式会社") match.
    static func companyKey(_ name: String) -> String {
        if let key = ASCIIText.companyKey(name) { return key }
        var text = name.lowercased()
        // Legal forms written without spaces around them (CJK) are cut out first.
        for form in ["株式会社", "有限会社", "合同会社", "주식회사", "(주)"] {
            text = text.replacingOccurrences(of: form, with: " ")
        }
        let words = text.split { !$0.isLetter && !$0.isNumber }.map(String.init)
        return words.filter { !legalForms.contains($0) }.joined(separator: " ")
    }

    /// The company-and-person key of a lead or contact; empty when either is missing.
    static func personKey(company: String, firstName: String, lastName: String) -> String {
        let company = companyKey(company)
        let person = key(firstName + " " + lastName)
        guard !company.isEmpty, !person.isEmpty else { return "" }
        return company + "|" + person
    }

    /// The searchable text of a record (LIKE '%query%' on it).
    static func search(_ parts: String...) -> String {
        parts.filter { !$0.isEmpty }.map(key).joined(separator: " ")
    }

    /// A LIKE pattern matching `query` anywhere; LIKE's wildcards in the query are
    /// escaped with a backslash (use `ESCAPE '\\'`).
    static func likePattern(_ query: String) -> String {
        let escaped = key(query).replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        return "%" + escaped + "%"
    }
}
