import Foundation
public import Logging
import PostgresNIO
import SFAMessages
import Synchronization
public import SFAStorage

/// The control plane on PostgreSQL, shared by every node of a cluster
/// (docs/scaling.md). Each intent is one transaction; a change of access (tenants,
/// their limits and placements, users, keys, nodes) also sends `NOTIFY sfa_access`,
/// which PostgreSQL delivers to every listening node when it commits. ``run(onAccessChange:)``
/// listens, and reports a change as well after reconnecting and every
/// `fallbackInterval`, so that a lost notification delays a revocation or a move by
/// that interval at most.
public final class PostgresControlPlaneStore: ControlPlaneStore {
    /// The channel of access changes.
    static let channel = "sfa_access"
    let client: PostgresClient
    let logger: Logger
    public let fallbackInterval: Duration
    /// Since when no connection has listened; nil while one does.
    private let unwatched = Mutex<ContinuousClock.Instant?>(ContinuousClock.now)
    /// The wait before listening again after a failure: doubled at each failure in a
    /// row, from 1 s to 30 s at most, so that a control plane down for long is not
    /// hammered by every node.
    static let listenBackoff = (first: Duration.seconds(1), most: Duration.seconds(30))

    /// - Parameters:
    ///   - url: `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-ca|verify-full&sslrootcert=PATH]`.
    ///   - fallbackInterval: how often caches are dropped whatever the notifications.
    /// - Throws: `ControlPlaneURLError` for a URL it cannot use.
    public init(url: String, fallbackInterval: Duration = .seconds(30), logger: Logger) throws {
        self.client = PostgresClient(configuration: try PostgresURL.configuration(url), backgroundLogger: logger)
        self.logger = logger
        self.fallbackInterval = fallbackInterval
    }

    public var isShared: Bool { true }

    public var unwatchedSince: ContinuousClock.Instant? { unwatched.withLock { $0 } }

    public func migrate() async throws {
        try await PostgresSchema.migrate(client, logger: logger)
    }

    public func run(onAccessChange: @escaping @Sendable () -> Void) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { try await self.listen(onAccessChange) }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: self.fallbackInterval)
                    onAccessChange()
                }
            }
        }
    }

    /// Listens for access changes on one connection, again after losing it (after a
    /// wait that grows while it keeps failing).
    private func listen(_ onAccessChange: @escaping @Sendable () -> Void) async throws {
        var backoff = Self.listenBackoff.first
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        self.unwatched.withLock { $0 = nil }
                        // Whatever changed while no connection listened counts as changed.
                        onAccessChange()
                        for try await _ in notifications { onAccessChange() }
                    }
                }
                if Task.isCancelled { return }
                logger.warning("control plane notifications ended; listening again")
            } catch {
                if Task.isCancelled { return }
                logger.warning("control plane notifications lost; listening again", metadata: ["error": "\(String(reflecting: error))", "after": "\(backoff)"])
            }
            // A connection that listened a while ago starts the waits over.
            if unwatched.withLock({ $0 == nil }) { backoff = Self.listenBackoff.first }
            unwatched.withLock { $0 = $0 ?? .now }
            onAccessChange()
            try await Task.sleep(for: backoff)
            backoff = min(backoff * 2, Self.listenBackoff.most)
        }
    }

    public func checkAvailable() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    // MARK: Helpers

    /// The rows of one statement.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.query(query, logger: logger).collect()
    }

    /// Runs `body` in one transaction; with `notifying`, tells every node that access changed.
    @discardableResult
    func transaction<T: Sendable>(notifying: Bool, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let result = try await body(connection)
                if notifying { try await connection.query("SELECT pg_notify(\(Self.channel), '')", logger: logger) }
                return result
            }
        } catch let error as PostgresTransactionError {
            // The body's own error (a StorageError) is what the caller must see.
            throw error.closureError ?? error.commitError ?? error
        }
    }

    /// Stores `write`'s idempotency record in the transaction, or answers the
    /// response stored by an earlier call with its key.
    ///
    /// One statement decides, so that of concurrent retries exactly one writes: the
    /// insert records the key or replaces a record past its retention; a live record
    /// (one a concurrent transaction committed included: the insert waits for it) is
    /// kept, nothing comes back, and it is read and answered.
    static func replayOrRecord(_ connection: PostgresConnection, _ write: IdempotentWrite, logger: Logger) async throws -> [UInt8]? {
        let now = ControlPlane.nowMs()
        let recorded = try await connection.query(
            """
            INSERT INTO idempotency_key VALUES (\(write.key), \(write.method), \(write.userID), \(Data(write.requestDigest)), \(Data(write.response)), \(now))
            ON CONFLICT (key, method, user_id) DO UPDATE SET request_digest = EXCLUDED.request_digest,
                response = EXCLUDED.response, create_time_ms = EXCLUDED.create_time_ms
            WHERE idempotency_key.create_time_ms < \(now - Idempotency.retentionMs)
            RETURNING 1
            """,
            logger: logger
        ).collect()
        if recorded.isEmpty {
            // The conflicting row is locked by this transaction now, so it is there to
            // read; it is not this request's when its digest differs.
            let stored = try await connection.query(
                "SELECT request_digest, response FROM idempotency_key WHERE key = \(write.key) AND method = \(write.method) AND user_id = \(write.userID)",
                logger: logger
            ).collect()
            guard let row = stored.first?.makeRandomAccess(), try row.value("request_digest", as: Data.self) == Data(write.requestDigest) else {
                throw StorageError.idempotencyKeyReused
            }
            return Array(try row.value("response", as: Data.self))
        }
        if Int.random(in: 0..<64) == 0 {
            try await connection.query("DELETE FROM idempotency_key WHERE create_time_ms < \(now - Idempotency.retentionMs)", logger: logger)
        }
        return nil
    }

    /// Adds `event` to the outbox in the change's transaction.
    static func enqueueAudit(_ connection: PostgresConnection, _ event: AuditEvent?, tenantID: String, logger: Logger) async throws {
        guard let event else { return }
        try await connection.query(
            "INSERT INTO audit_outbox VALUES (\(event.id), \(tenantID), \(Data(event.serializedBytes()))) ON CONFLICT (id) DO NOTHING",
            logger: logger
        )
    }

    /// Whether `error` is PostgreSQL's unique violation.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}

/// A control-plane URL that cannot be used.
public struct ControlPlaneURLError: Error, CustomStringConvertible {
    public var description: String
}

/// `postgres://` URLs as libpq reads them, the parts SalesWire uses.
enum PostgresURL {
    /// `text` with the password between `user:` and `@` replaced by `***`, for
    /// messages and logs: an error must not carry the secret.
    static func masked(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@"),
            let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return text.replacingCharacters(in: text.index(after: colon)..<at, with: "***")
    }

    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty, let user = url.user
        else {
            throw ControlPlaneURLError(description: "expected postgres://user[:password]@host[:port]/database, got \(masked(text))")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        let parameters = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { _, last in last }
        return PostgresClient.Configuration(
            host: host,
            port: url.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: url.password?.removingPercentEncoding,
            database: database.isEmpty ? nil : database,
            tls: try tls(mode: parameters["sslmode"] ?? "disable", rootCertificates: parameters["sslrootcert"]).client
        )
    }

    /// TLS as libpq's `sslmode` means it: `prefer` and `require` encrypt without
    /// checking the server's certificate (they stop a passive eavesdropper, not an
    /// impostor), `verify-ca` checks it was signed by the trusted CAs, `verify-full`
    /// also that it names the host. The trusted CAs are the PEM file `sslrootcert`
    /// names, else the system's.
    static func tls(mode: String, rootCertificates: String?) throws -> PostgresTLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let rootCertificates, !rootCertificates.isEmpty {
            guard FileManager.default.isReadableFile(atPath: rootCertificates) else {
                throw ControlPlaneURLError(description: "sslrootcert=\(rootCertificates) is not a readable file")
            }
            configuration.trustRoots = .file(rootCertificates)
        }
        switch mode {
        case "disable":
            return PostgresTLS(configuration: nil, required: false)
        case "prefer", "require":
            configuration.certificateVerification = .none
            return PostgresTLS(configuration: configuration, required: mode == "require")
        case "verify-ca":
            configuration.certificateVerification = .noHostnameVerification
            return PostgresTLS(configuration: configuration, required: true)
        case "verify-full":
            configuration.certificateVerification = .fullVerification
            return PostgresTLS(configuration: configuration, required: true)
        default:
            throw ControlPlaneURLError(description: "sslmode=\(mode) is not supported (disable, prefer, require, verify-ca, verify-full)")
        }
    }
}

/// The TLS a URL's `sslmode` asks for.
struct PostgresTLS {
    /// How the server's certificate is checked; nil: no TLS.
    var configuration: TLSConfiguration?
    /// Whether a server without TLS is refused (else plaintext is the fallback).
    var required: Bool

    var client: PostgresClient.Configuration.TLS {
        guard let configuration else { return .disable }
        return required ? .require(configuration) : .prefer(configuration)
    }
}
