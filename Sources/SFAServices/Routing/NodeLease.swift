import Foundation
public import Logging
public import SFAStorage
import SFAStubs
import Synchronization

/// This process's lease on its node id in the directory (docs/scaling.md, one process
/// per node id). Epochs fence a node from the tenants it no longer owns, not from a
/// second process with the same id: that one would own the same tenants. So a process
/// claims the node row for a random holder token at start, refused while another
/// holder's lease is live, and renews it every third of its duration; it serves the
/// node's tenants only while its lease is held by its own clock, measured from before
/// each renewal was sent (so it gives up no later than the directory, by PostgreSQL's
/// clock, lets another process claim the id).
public final class NodeLease: Sendable {
    /// How long a claim or a renewal holds the id; renewed every third of it, so two
    /// renewals may fail (a control-plane failover) before the node stops serving.
    public static let defaultDuration: Duration = .seconds(15)

    public let nodeID: String
    /// This process: host, process id and a random part, so that an operator told
    /// the id is held sees by what.
    public let holder: String
    public let duration: Duration
    let controlPlane: ControlPlane
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        /// Until when this process may serve, by its own clock; nil before the claim.
        var validUntil: ContinuousClock.Instant?
        /// Another process claimed the id, or the lease was released: never held again.
        var taken = false
    }

    public init(nodeID: String, controlPlane: ControlPlane, duration: Duration = defaultDuration, logger: Logger) {
        self.nodeID = nodeID
        self.controlPlane = controlPlane
        self.duration = duration
        self.logger = logger
        let host = ProcessInfo.processInfo.hostName
        holder = "\(host) pid \(ProcessInfo.processInfo.processIdentifier) \(UUID().uuidString.prefix(8).lowercased())"
    }

    private var durationMs: Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// Whether this process may serve the node's tenants now.
    public var isHeld: Bool {
        state.withLock { state in
            guard !state.taken, let until = state.validUntil else { return false }
            return ContinuousClock.now < until
        }
    }

    /// Records the node at `address` and takes its lease.
    /// - Throws: `failedPrecondition` (`NODE_LEASE_HELD`) while another process holds it.
    public func claim(address: String) async throws {
        let start = ContinuousClock.now
        try await controlPlane.claimNode(NodeRow(id: nodeID, address: address), holder: holder, leaseMs: durationMs)
        state.withLock { $0.validUntil = start + duration }
    }

    /// Renews the lease every third of its duration until cancelled or taken. A failed
    /// renewal (the control plane unreachable) is tried again at the next turn; once
    /// the lease has run out the node stops serving, and serves again if a later
    /// renewal succeeds (nobody else claimed the id meanwhile). A lease another process
    /// took is never taken back: this process stops serving for good.
    public func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: duration / 3)
            let start = ContinuousClock.now
            do {
                if try await controlPlane.renewNodeLease(nodeID, holder: holder, leaseMs: durationMs) {
                    state.withLock { $0.validUntil = start + duration }
                } else {
                    state.withLock { $0.taken = true }
                    logger.critical("node lease taken by another process; this process no longer serves the node's tenants", metadata: ["node": "\(nodeID)"])
                    return
                }
            } catch {
                logger.warning("node lease not renewed; trying again", metadata: ["node": "\(nodeID)", "error": "\(error)"])
            }
        }
    }

    /// Ends the lease (a clean stop), so that a restarted process claims the id at once.
    public func release() async {
        state.withLock { $0.taken = true }
        do {
            try await controlPlane.releaseNodeLease(nodeID, holder: holder)
        } catch {
            logger.warning("node lease not released; it ends by itself", metadata: ["node": "\(nodeID)", "error": "\(error)"])
        }
    }

    /// The refusal of a call while the lease is not held.
    func lostError() -> RPCError {
        RPCError(
            code: .unavailable,
            message: "node \(nodeID) does not hold its lease in the placement directory and serves no tenant; try another node",
            details: ErrorDetails(reason: Self.lostReason, metadata: ["node_id": nodeID], retryAfterMs: 1000)
        )
    }

    /// The reason of ``lostError()``.
    public static let lostReason = "NODE_LEASE_LOST"
}
