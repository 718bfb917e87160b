import SFAStubs

extension Validation {
    /// Money: an ISO 4217 code (three capital letters) and a non-negative amount.
    mutating func money(_ money: Money, _ field: String, allowNegative: Bool = false) {
        check(money.currencyCode.count == 3 && money.currencyCode.allSatisfy { $0.isASCII && $0.isUppercase }, "\(field).currency_code", .invalidFormat, "is not an ISO 4217 code")
        check(allowNegative || money.amountMinor >= 0, "\(field).amount_minor", .outOfRange, "is negative")
    }
}

extension Validation {
    /// A calendar date, `YYYY-MM-DD`, that exists.
    mutating func date(_ value: String, _ field: String, required: Bool) {
        guard !value.isEmpty else {
            check(!required, field, .required, "is required")
            return
        }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else {
            check(false, field, .invalidFormat, "is not a date (YYYY-MM-DD)")
            return
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        check((1...days).contains(day), field, .invalidFormat, "is not a date (YYYY-MM-DD)")
    }
}

extension Validation {
    /// Every part of a postal address: bounded text, no control characters.
    mutating func address(_ address: PostalAddress?, _ field: String) {
        guard let address else { return }
        text(address.street, field + ".street", required: false, maximumLength: 500)
        text(address.city, field + ".city", required: false)
        text(address.region, field + ".region", required: false)
        text(address.postalCode, field + ".postal_code", required: false, maximumLength: 20)
        check(address.countryCode.isEmpty || (address.countryCode.count == 2 && address.countryCode.allSatisfy { $0.isASCII && $0.isUppercase }), field + ".country_code", .invalidFormat, "is not an ISO 3166 code")
    }

    /// An id a client passes to refer to a record: bounded, letters, digits and `_`.
    mutating func reference(_ id: String, _ field: String) {
        guard !id.isEmpty else { return }
        check(id.count <= 64 && id.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" }, field, .invalidFormat, "is not an id")
    }

    /// Ids a list filters on, by field name: each empty or of an id's form.
    mutating func references(_ fields: KeyValuePairs<String, String>) {
        for (field, value) in fields { reference(value, field) }
    }

    /// A date range a list filters on: each side empty or a date.
    mutating func dateRange(_ range: DateRange?, _ field: String) {
        guard let range else { return }
        date(range.startDate, field + ".start_date", required: false)
        date(range.endDate, field + ".end_date", required: false)
    }

    /// A list filter: at most `maximum` values.
    mutating func bounded(_ count: Int, _ field: String, maximum: Int = 50) {
        check(count <= maximum, field, .tooMany, "lists more than \(maximum) values")
    }
}
