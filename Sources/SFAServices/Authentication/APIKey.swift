import Crypto
import Foundation
import SFAStorage

/// API keys: `sfa_<key id>_<secret>`, e.g.
/// `sfa_key_01jd3k4m5n6p7q8r9s0t1v2w3x_9f86d081…` (64 hex characters of secret).
///
/// The key id finds the stored key; the secret is 256 random bits, shown once when
/// the key is issued and stored only as its SHA-256, compared in constant time.
enum APIKey {
    /// A new key: the token to hand out once, and what to store.
    static func issue(keyID: String) -> (token: String, hash: [UInt8], prefix: String) {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let token = "sfa_\(keyID)_\(secret)"
        return (token, hash(secret), String(token.prefix(16)))
    }

    /// The key id and secret of an `authorization` header (`Bearer <token>`), or nil
    /// when it is not shaped like a key.
    ///
    /// Every call parses one, so it works on the UTF-8 bytes: Character-based String
    /// operations (grapheme breaking) cost more than the rest of admitting a key.
    static func parse(authorization: String) -> (keyID: String, secret: String)? {
        let bytes = authorization.utf8
        let prefix = "Bearer sfa_".utf8
        guard bytes.count < 256, bytes.starts(with: prefix) else { return nil }
        let token = bytes.dropFirst(prefix.count)
        guard let separator = token.lastIndex(of: UInt8(ascii: "_")) else { return nil }
        guard let keyID = String(token[..<separator]), let secret = String(token[token.index(after: separator)...]) else { return nil }
        guard RecordID.isValid(keyID, prefix: "key"), secret.utf8.count == 64 else { return nil }
        return (keyID, secret)
    }

    static func hash(_ secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Compares two hashes in time that does not depend on where they differ.
    /// Works on the stored hash's contiguous bytes: iterating `Data` element by
    /// element costs more than the comparison itself.
    static func constantTimeEqual(_ a: [UInt8], _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return b.withUnsafeBytes { (stored: UnsafeRawBufferPointer) in
            var difference: UInt8 = 0
            for index in a.indices { difference |= a[index] ^ stored[index] }
            return difference == 0
        }
    }
}
