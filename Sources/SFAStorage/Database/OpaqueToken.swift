import Foundation

/// The text form of tokens clients hand back unread (list page tokens, change feed
/// cursors): base64url without padding, and a short digest of what a token is bound to.
public enum OpaqueToken {
    /// `text` as base64url without padding.
    public static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().utf8.reduce(into: "") { token, byte in
            switch byte {
            case UInt8(ascii: "+"): token.append("-")
            case UInt8(ascii: "/"): token.append("_")
            case UInt8(ascii: "="): break
            default: token.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
    }

    /// The text of a token made by ``encode(_:)``; nil for anything longer than
    /// `maximumLength` or not base64url of UTF-8.
    public static func decode(_ token: String, maximumLength: Int) -> String? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard token.count <= maximumLength, let data = Data(base64Encoded: base64) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// A short stable digest (FNV-1a), so tokens stay small.
    public static func fingerprint(_ binding: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in binding {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 36)
    }
}
