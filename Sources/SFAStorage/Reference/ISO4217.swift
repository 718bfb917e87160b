/// The active currencies of ISO 4217 and their minor-unit exponents: what a `Money`
/// amount's `amount_minor` counts (JPY has no minor unit, USD cents, KWD fils).
///
/// From the ISO 4217 list one (current currencies and funds), as published by SIX,
/// the maintenance agency; precious metals, testing and "no currency" codes (XAU,
/// XTS, XXX…) are left out: nothing is sold for them.
public enum ISO4217 {
    /// The exponent of a known currency code, nil for an unknown one.
    public static func exponent(of code: String) -> Int? {
        if let special = exponents[code] { return special }
        return twoDecimalCodes.contains(code) ? 2 : nil
    }

    /// The largest exponent of any currency (UYW, CLF): amounts scaled to it compare
    /// across currencies by value.
    public static let maximumExponent = 4

    /// Currencies whose exponent is not 2.
    private static let exponents: [String: Int] = [
        // No minor unit.
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
        "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        // Three decimals.
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        // Four decimals (units of account).
        "CLF": 4, "UYW": 4,
    ]

    /// Currencies with two decimals.
    private static let twoDecimalCodes: Set<String> = [
        "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD",
        "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW",
        "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
        "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR",
        "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
        "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV",
        "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN",
        "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
        "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
        "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
    ]
}
