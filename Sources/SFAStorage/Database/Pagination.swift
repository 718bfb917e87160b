import Foundation
public import GRDB

/// Page sizes and opaque page tokens for every list.
///
/// Lists are ordered by record id, and ids sort by creation time (`RecordID`), or by
/// a column with the id breaking ties (keyset pagination). Either way the order is
/// total and stable, and a token — the last sort value and id seen, bound to the
/// list's filter — returns every record that existed when the listing started exactly
/// once, even while new records are inserted.
public struct PageRequest: Sendable, Equatable {
    public static let defaultSize = 50
    public static let maximumSize = 500

    /// Records to return: 1…`maximumSize`.
    public let size: Int
    /// Return records after the one with this id (in the list's order).
    public let after: String?
    /// For lists ordered by a column: that column's value in the record with id `after`.
    public let afterSortValue: DatabaseValue?
    /// The digest of the filter the token is bound to.
    private let fingerprint: String

    /// - Parameters:
    ///   - pageSize: as sent; 0 means the default, more than the maximum is capped.
    ///   - pageToken: as sent; empty for the first page.
    ///   - filter: a description of the list's filters; a token is valid only with the same filter.
    /// - Throws: `StorageError.invalidPageToken` for a token this list did not issue,
    ///   `.invalidPageSize` for a negative size.
    public init(pageSize: Int32, pageToken: String, filter: String) throws(StorageError) {
        try self.init(pageSize: pageSize, pageToken: pageToken, binding: filter.utf8)
    }

    /// - Parameter binding: the bytes the token is bound to, e.g. the encoded request
    ///   without its page fields.
    public init(pageSize: Int32, pageToken: String, binding: some Sequence<UInt8>) throws(StorageError) {
        guard pageSize >= 0 else { throw .invalidPageSize }
        size = pageSize == 0 ? Self.defaultSize : min(Int(pageSize), Self.maximumSize)
        fingerprint = OpaqueToken.fingerprint(binding)
        guard !pageToken.isEmpty else {
            after = nil
            afterSortValue = nil
            return
        }
        guard let decoded = Self.decode(pageToken), decoded.filter == fingerprint else {
            throw .invalidPageToken
        }
        after = decoded.after
        afterSortValue = decoded.sortValue
    }

    /// The token for the page after one that ended with `lastID` (whose sort column,
    /// if the list has one, holds `sortValue`: an integer or text), or "" when `count`
    /// shows this page was the last.
    public func nextToken(lastID: String?, sortValue: DatabaseValue? = nil, count: Int) -> String {
        guard count >= size, let lastID else { return "" }
        var text = "v1\n\(fingerprint)\n\(lastID)"
        switch sortValue?.storage {
        case .int64(let value): text += "\ni\(value)"
        case .string(let value): text += "\ns\(value)"
        default: break
        }
        return OpaqueToken.encode(text)
    }

    private static func decode(_ token: String) -> (filter: String, after: String, sortValue: DatabaseValue?)? {
        guard let text = OpaqueToken.decode(token, maximumLength: 512) else { return nil }
        let parts = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 4, parts[0] == "v1", !parts[2].isEmpty else { return nil }
        var sortValue: DatabaseValue?
        if parts.count == 4 {
            let value = parts[3].dropFirst()
            switch parts[3].first {
            case "i": guard let number = Int64(value) else { return nil }; sortValue = number.databaseValue
            case "s": sortValue = String(value).databaseValue
            default: return nil
            }
        }
        return (String(parts[1]), String(parts[2]), sortValue)
    }
}
