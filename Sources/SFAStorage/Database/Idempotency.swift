import Foundation
public import GRDB
public import SFAMessages

/// Idempotency keys (SPEC §5): a write carrying a key runs once; a retry with the
/// same key, method and caller within 24 hours gets the first result back; the same
/// key with a different request is refused. The record lives in the same database,
/// and is written in the same transaction, as the write it protects. Expired records
/// are swept now and then by later writes.
public enum Idempotency {
    /// How long a key is honoured.
    public static let retentionMs: Int64 = 24 * 60 * 60 * 1000

    static func createExpiryIndex(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX idempotency_key_expiry ON idempotency_key(create_time_ms)")
    }

    static func createTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE idempotency_key (
                    key TEXT NOT NULL,
                    method TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    request_digest BLOB NOT NULL,
                    response BLOB NOT NULL,
                    create_time_ms INTEGER NOT NULL,
                    PRIMARY KEY (key, method, user_id)
                ) WITHOUT ROWID;
                """
        )
    }

    /// Runs `body` once per key. Call it inside the write transaction.
    ///
    /// - Parameters:
    ///   - key: the `idempotency_key` header; nil runs `body` with no record.
    ///   - requestDigest: a digest of the encoded request, to detect a reused key.
    /// - Returns: the response, and whether it is a replay of an earlier call.
    /// - Throws: `StorageError.failedPrecondition` (`IDEMPOTENCY_KEY_REUSED`) when the
    ///   key was used for a different request.
    public static func run<Response: ProtoMessage>(
        _ db: Database,
        key: String?,
        method: String,
        userID: String,
        requestDigest: [UInt8],
        body: () throws -> Response
    ) throws -> (response: Response, replayed: Bool) {
        guard let key else { return (try body(), false) }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if let stored = try storedResponse(db, key: key, method: method, userID: userID, requestDigest: requestDigest, now: now) {
            return (try Response(serializedBytes: stored), true)
        }
        let response = try body()
        try store(db, key: key, method: method, userID: userID, requestDigest: requestDigest, response: response.serializedBytes(), now: now)
        return (response, false)
    }

    /// The response stored for `write`, or nil after recording it: a control-plane
    /// write whose response is known before it runs. Call it inside the write
    /// transaction, before the write's changes (a replay changes nothing).
    static func replayOrRecord(_ db: Database, _ write: IdempotentWrite) throws -> [UInt8]? {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let (key, method, userID, digest) = (write.key, write.method, write.userID, write.requestDigest)
        if let stored = try storedResponse(db, key: key, method: method, userID: userID, requestDigest: digest, now: now) { return stored }
        try store(db, key: key, method: method, userID: userID, requestDigest: digest, response: write.response, now: now)
        return nil
    }

    /// The response of an unexpired record of the key.
    /// - Throws: `IDEMPOTENCY_KEY_REUSED` when it was stored for another request.
    private static func storedResponse(_ db: Database, key: String, method: String, userID: String, requestDigest: [UInt8], now: Int64) throws -> [UInt8]? {
        guard
            // Statements prepared once per connection: writes with a key run them every time.
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT request_digest, response FROM idempotency_key WHERE key = ? AND method = ? AND user_id = ? AND create_time_ms >= ?"),
                arguments: [key, method, userID, now - retentionMs]
            )
        else { return nil }
        let digest: Data = row["request_digest"]
        guard digest == Data(requestDigest) else { throw StorageError.idempotencyKeyReused }
        let stored: Data = row["response"]
        return Array(stored)
    }

    private static func store(_ db: Database, key: String, method: String, userID: String, requestDigest: [UInt8], response: [UInt8], now: Int64) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO idempotency_key VALUES (?, ?, ?, ?, ?, ?)").execute(
            arguments: [key, method, userID, Data(requestDigest), Data(response), now]
        )
        if Int.random(in: 0..<64) == 0 {
            try db.execute(sql: "DELETE FROM idempotency_key WHERE create_time_ms < ?", arguments: [now - retentionMs])
        }
    }
}

extension StorageError {
    /// An idempotency key used again, by the same caller and method, with another request.
    public static let idempotencyKeyReused = StorageError.failedPrecondition(
        reason: "IDEMPOTENCY_KEY_REUSED",
        message: "the idempotency key was already used with a different request"
    )
}
