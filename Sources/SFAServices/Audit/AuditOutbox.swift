import Logging
import SFAStorage

/// Delivery of the control plane's audit outbox, where control-plane changes put
/// their events in their own transaction, into the tenant's log (its file).
enum AuditOutbox {
    /// Moves the tenant's waiting events into its log. What cannot be delivered now
    /// (the file busy or unavailable) stays for the next delivery.
    static func deliver(_ tenantID: String, controlPlane: ControlPlane, tenants: TenantDatabases, logger: Logger) async {
        do {
            let pending = try await controlPlane.pendingAudit(tenantID: tenantID)
            guard !pending.isEmpty else { return }
            try await tenants.write(tenantID) { db in
                for event in pending { try AuditLog.insert(db, event) }
            }
            try await controlPlane.removeAudit(ids: pending.map(\.id))
        } catch {
            logger.warning("audit events kept for later delivery", metadata: ["tenant": "\(tenantID)", "error": "\(error)"])
        }
    }
}
