import Foundation

/// Page sizes and opaque page tokens for every list.
///
/// Lists are ordered by record id, and ids sort by creation time (`RecordID`), so
/// the order is stable and a token — the last id seen, bound to the list's filter —
/// returns every record that existed when the listing started exactly once, even
/// while new records are inserted.
public struct PageRequest: Sendable, Equatable {
    public static let defaultSize = 50
    public static let maximumSize = 500

    /// Records to return: 1…`maximumSize`.
    public let size: Int
    /// Return records with ids greater than this one.
    public let after: String?

    /// - Parameters:
    ///   - pageSize: as sent; 0 means the default, more than the maximum is capped.
    ///   - pageToken: as sent; empty for the first page.
    ///   - filter: a description of the list's filters; a token is valid only with the same filter.
    /// - Throws: `StorageError.invalidPageToken` for a token this list did not issue.
    public init(pageSize: Int32, pageToken: String, filter: String) throws(StorageError) {
        size = pageSize <= 0 ? Self.defaultSize : min(Int(pageSize), Self.maximumSize)
        guard !pageToken.isEmpty else {
            after = nil
            return
        }
        guard let decoded = Self.decode(pageToken), decoded.filter == Self.fingerprint(filter) else {
            throw .invalidPageToken
        }
        after = decoded.after
    }

    /// The token for the page after one that ended with `lastID`, or "" when `count`
    /// shows this page was the last.
    public func nextToken(lastID: String?, count: Int, filter: String) -> String {
        guard count >= size, let lastID else { return "" }
        let text = "v1\n\(Self.fingerprint(filter))\n\(lastID)"
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ token: String) -> (filter: String, after: String)? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard token.count <= 512, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8)
        else { return nil }
        let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", !parts[2].isEmpty else { return nil }
        return (String(parts[1]), String(parts[2]))
    }

    /// A short stable digest of the filter (FNV-1a), so tokens stay small.
    private static func fingerprint(_ filter: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in filter.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 36)
    }
}
