public import SFAStubs
import Synchronization

extension RPCClient {
    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        request: Request,
        responseType: Response.Type,
        options: CallOptions
    ) async throws -> Response {
        guard configuration.maximumRedirects > 0 else {
            return try await unaryHere(method, request: request, responseType: responseType, options: options)
        }
        var options = options
        let deadline = (options.timeout ?? configuration.defaultTimeout).map { ContinuousClock.now + $0 }
        var target = try placements.keyTenantAddress.map(peer) ?? self
        var hops = 0
        var fellBack = false
        while true {
            if let deadline { options.timeout = deadline - ContinuousClock.now }
            do {
                return try await target.unaryHere(method, request: request, responseType: responseType, options: options)
            } catch let error as RPCError {
                if target !== self, !fellBack, error.details.reason == Self.connectFailedReason {
                    // The owner learned earlier is gone (stopped, moved away): forget it
                    // and ask the seed once where the tenant lives now. The call was not sent.
                    fellBack = true
                    placements.forget(address: target.address)
                    target = self
                    continue
                }
                guard hops < configuration.maximumRedirects, let redirect = RedirectHint(error) else { throw error }
                hops += 1
                // Checked before anything is learned: a refused address is never used.
                let next = try peer(redirect.address)
                if redirect.moving {
                    let wait = Duration.milliseconds(Int64(max(redirect.retryAfterMs, 10)))
                    if let deadline, ContinuousClock.now + wait >= deadline { throw error }
                    try await Task.sleep(for: wait)
                } else {
                    placements.learn(redirect)
                }
                target = next
            }
        }
    }

    /// `host:port` of this client's server.
    var address: String { "\(configuration.host):\(configuration.port)" }

    /// The client of the node at `address` (`host:port`): this one when it is its own
    /// server, else one opened on first use with this client's settings, kept until
    /// ``close()``. It follows no redirects itself: the calling loop does.
    func peer(_ address: String) throws -> RPCClient {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw RPCError(code: .unavailable, message: "a redirect named the address \(address), which is not host:port")
        }
        let host = String(address[..<colon].filter { $0 != "[" && $0 != "]" })
        if host == configuration.host, port == configuration.port { return self }
        guard configuration.allowsRedirect(to: host) else {
            // The key would go to a host the application did not name: a node (or a
            // directory entry) could send it anywhere.
            throw RPCError(
                code: .failedPrecondition,
                message: "a redirect named \(address), and \(host) is not one of the hosts this client may follow redirects to "
                    + "(ClientConfiguration.redirectHosts)",
                details: ErrorDetails(reason: Self.redirectRefusedReason, metadata: ["address": address])
            )
        }
        return peers.withLock { peers in
            if let peer = peers[address] { return peer }
            var settings = configuration
            settings.host = host
            settings.port = port
            settings.maximumRedirects = 0
            let peer = RPCClient(configuration: settings)
            peers[address] = peer
            return peer
        }
    }
}

extension RPCClient {
    /// The reason of the error a call fails with when a redirect names a host that
    /// ``ClientConfiguration/redirectHosts`` does not allow.
    public static let redirectRefusedReason = "REDIRECT_HOST_NOT_ALLOWED"
}

/// A redirect status as a client reads it (docs/protocol.md §5.3).
public struct RedirectHint: Sendable, Equatable {
    public var tenantID: String
    public var nodeID: String
    /// `host:port` to call.
    public var address: String
    public var epoch: Int64
    /// TENANT_MOVING: try once there, remember nothing; TENANT_MOVED: the owner.
    public var moving: Bool
    /// Whether the redirect is for the tenant of the client's key (the gate's), not a
    /// tenant a request named: only then does it route the client's next calls.
    public var keyTenant: Bool
    public var retryAfterMs: UInt32

    /// The redirect `error` carries; nil for any other error.
    public init?(_ error: RPCError) {
        let metadata = error.details.metadata
        guard ["TENANT_MOVED", "TENANT_MOVING"].contains(error.details.reason),
            let address = metadata["address"], !address.isEmpty,
            let epoch = metadata["epoch"].flatMap({ Int64($0) })
        else { return nil }
        tenantID = metadata["tenant_id"] ?? ""
        nodeID = metadata["node_id"] ?? ""
        self.address = address
        self.epoch = epoch
        moving = error.details.reason == "TENANT_MOVING"
        keyTenant = metadata["key_tenant"] == "true"
        retryAfterMs = error.details.retryAfterMs
    }
}

/// Where the tenants a client was redirected for live: tenant → owner's address and
/// epoch, a newer epoch replacing an older one, and which tenant the client's key
/// belongs to, so that its calls go straight to the owner.
public final class PlacementMap: Sendable {
    private struct State {
        var owners: [String: (address: String, epoch: Int64)] = [:]
        var keyTenant: String?
    }

    private let state = Mutex(State())

    public init() {}

    /// The owner of `tenantID` as last learned; nil when no redirect named it.
    public func owner(of tenantID: String) -> (address: String, epoch: Int64)? {
        state.withLock { $0.owners[tenantID] }
    }

    /// The owner of the key's tenant, once a redirect has named it.
    var keyTenantAddress: String? {
        state.withLock { state in state.keyTenant.flatMap { state.owners[$0]?.address } }
    }

    /// Forgets every owner at `address` (it could not be reached), so that calls go to
    /// the seed again.
    func forget(address: String) {
        state.withLock { state in state.owners = state.owners.filter { $0.value.address != address } }
    }

    /// Takes in a TENANT_MOVED, unless a newer epoch is known.
    func learn(_ redirect: RedirectHint) {
        state.withLock { state in
            if redirect.keyTenant { state.keyTenant = redirect.tenantID }
            if let known = state.owners[redirect.tenantID], known.epoch > redirect.epoch { return }
            state.owners[redirect.tenantID] = (redirect.address, redirect.epoch)
        }
    }
}
