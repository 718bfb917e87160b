/// `RecordText`'s keys of text that is all ASCII, worked out on its UTF-8 bytes: nil
/// for any other text. On ASCII, Unicode's rules reduce to these: lower case maps
/// A–Z only; whitespace is tab, line feed, vertical tab, form feed, carriage return
/// and space (a CR LF pair is one whitespace character, and so two separators here
/// give the same split); letters are a–z and A–Z, numbers 0–9.
enum ASCIIText {
    static func key(_ text: String) -> String? {
        words(text, separatedBy: isWhitespace) { _ in true }
    }

    static func companyKey(_ name: String) -> String? {
        words(name, separatedBy: { !isLetterOrDigit($0) }) { word in
            !RecordText.legalForms.contains(String(decoding: word, as: UTF8.self))
        }
    }

    /// The words of `text` (lower case, split where `isSeparator`, none empty) that
    /// `keeps`, joined by single spaces; nil when `text` is not all ASCII.
    private static func words(
        _ text: String,
        separatedBy isSeparator: (UInt8) -> Bool,
        keeping keeps: (UnsafeBufferPointer<UInt8>) -> Bool
    ) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { output in
                var count = 0
                var start = 0
                while start < bytes.count {
                    guard !isSeparator(bytes[start]) else {
                        start += 1
                        continue
                    }
                    var end = start
                    while end < bytes.count, !isSeparator(bytes[end]) { end += 1 }
                    // Lower-cased in place in the output, then kept or taken back.
                    let wordStart = count + (count > 0 ? 1 : 0)
                    for index in start..<end { output[wordStart + index - start] = lowercased(bytes[index]) }
                    let word = UnsafeBufferPointer(rebasing: output[wordStart..<(wordStart + end - start)])
                    if keeps(word) {
                        if count > 0 { output[count] = UInt8(ascii: " ") }
                        count = wordStart + end - start
                    }
                    start = end
                }
                return count
            }
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (0x09...0x0D).contains(byte)
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
