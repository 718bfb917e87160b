public import SFAStubs
public import SFATransport
import Synchronization

/// A client for a SalesWire server: a pool of multiplexed connections, opened on
/// first use and reopened when one closes or drains; deadlines; safe retries.
///
/// Pass it to any generated stub: `LeadServiceClient(client)`.
public final class RPCClient: RPCCaller, Sendable {
    public let configuration: ClientConfiguration
    private let slots: Mutex<[Slot]>
    private let slotCount: Int
    private let nextSlot = Atomic<Int>(0)
    /// Where the tenants this client was redirected for live, and the clients of
    /// those nodes (RPCClient+Redirects).
    public let placements = PlacementMap()
    let peers = Mutex<[String: RPCClient]>([:])

    private enum Slot {
        case empty
        case connecting(Task<RPCConnection, any Error>)
        case ready(RPCConnection)
    }

    public init(configuration: ClientConfiguration) {
        self.configuration = configuration
        self.slotCount = configuration.connections
        self.slots = Mutex(Array(repeating: Slot.empty, count: configuration.connections))
    }

    /// One call on this client's own server, with its retries; redirects are
    /// followed around it (``unary(_:request:responseType:options:)``).
    func unaryHere<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        request: Request,
        responseType: Response.Type,
        options: CallOptions
    ) async throws -> Response {
        var options = options
        if options.timeout == nil { options.timeout = configuration.defaultTimeout }
        let deadline = options.timeout.map { ContinuousClock.now + $0 }
        let retryable = method.isIdempotent || options.idempotencyKey != nil
        let attempts = max(1, configuration.retry.maximumAttempts)
        var generator = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            if let deadline { options.timeout = deadline - ContinuousClock.now }
            do {
                if let timeout = options.timeout, timeout <= .zero {
                    throw RPCError(code: .deadlineExceeded, message: "the deadline passed before a response arrived")
                }
                return try await openedConnection().unary(method, request: request, responseType: responseType, options: options)
            } catch let error as RPCError where attempt < attempts && Self.mayRetry(error, safeToRepeat: retryable) {
                // The server's hint is a floor: retrying sooner would be refused again.
                let hint = Duration.milliseconds(Int64(error.details.retryAfterMs))
                let wait = max(configuration.retry.backoff(beforeRetry: attempt, using: &generator), hint)
                if let deadline, ContinuousClock.now + wait >= deadline { throw error }
                try await Task.sleep(for: wait)
                attempt += 1
            }
        }
    }

    /// Whether a failed attempt may be made again: UNAVAILABLE when the call is safe to
    /// repeat (it may have run), RESOURCE_EXHAUSTED with `retry_after_ms` whatever the
    /// call — the server sends that hint only for calls it did not start (rate,
    /// concurrency and in-flight limits), and never for a limit retrying cannot pass
    /// (frame size).
    static func mayRetry(_ error: RPCError, safeToRepeat: Bool) -> Bool {
        switch error.code {
        case .unavailable: safeToRepeat
        case .resourceExhausted: error.details.retryAfterMs > 0
        default: false
        }
    }

    /// The reason a call's error carries when no connection to the server could be
    /// opened (refused, unreachable): the call was not sent, so it may go elsewhere.
    public static let connectFailedReason = "CONNECT_FAILED"

    /// ``connection()``, its failure to reach the server marked with ``connectFailedReason``.
    private func openedConnection() async throws -> RPCConnection {
        do {
            return try await connection()
        } catch var error as RPCError where error.details.reason.isEmpty {
            error.details.reason = Self.connectFailedReason
            throw error
        }
    }

    /// A usable connection from the pool, opening one where needed.
    /// - Throws: ``RPCError`` `UNAVAILABLE` when no usable connection can be opened.
    public func connection() async throws -> RPCConnection {
        try await connection(reopenIfUnusable: true)
    }

    private func connection(reopenIfUnusable: Bool) async throws -> RPCConnection {
        let index = Int(UInt(bitPattern: nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue) % UInt(slotCount))
        let configuration = self.configuration
        let task: Task<RPCConnection, any Error> = slots.withLock { slots in
            switch slots[index] {
            case .connecting(let task):
                return task
            case .ready(let connection):
                return Task { connection }
            case .empty:
                let task = Task {
                    try await RPCConnection.connect(
                        host: configuration.host,
                        port: configuration.port,
                        apiKey: configuration.apiKey,
                        maximumFrameSize: configuration.maximumFrameSize,
                        tls: configuration.tls
                    )
                }
                slots[index] = .connecting(task)
                return task
            }
        }
        let connection: RPCConnection
        do {
            connection = try await task.value
        } catch {
            slots.withLock { slots in
                if case .connecting = slots[index] { slots[index] = .empty }
            }
            throw error
        }
        if connection.isUsable {
            slots.withLock { slots in
                if case .connecting = slots[index] { slots[index] = .ready(connection) }
            }
            return connection
        }
        // Closed or draining: forget it and open a fresh one.
        slots.withLock { slots in
            switch slots[index] {
            case .ready(let current) where current === connection: slots[index] = .empty
            case .connecting: slots[index] = .empty
            default: break
            }
        }
        guard reopenIfUnusable else {
            throw RPCError(code: .unavailable, message: "the server closed or drained a new connection at once")
        }
        return try await self.connection(reopenIfUnusable: false)
    }

    /// Closes every connection of the pool, and those of the other nodes it was
    /// redirected to.
    public func close() async {
        for peer in peers.withLock({ peers in defer { peers = [:] }; return Array(peers.values) }) { await peer.close() }
        let states = slots.withLock { slots in
            defer { slots = Array(repeating: .empty, count: slots.count) }
            return slots
        }
        for state in states {
            switch state {
            case .ready(let connection): await connection.close()
            case .connecting(let task): await (try? task.value)?.close()
            case .empty: break
            }
        }
    }
}
