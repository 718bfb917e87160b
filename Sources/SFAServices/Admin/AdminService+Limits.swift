import SFAStorage
public import SFAStubs

extension AdminService {
    /// The tenant's call limit overrides and the limits this server applies with them.
    public func getTenantLimits(_ request: GetTenantLimitsRequest, context: ServerContext) async throws -> TenantLimits {
        let target = try await targetTenant(request.tenantId, context)
        return limits(of: target, overrides: try await controlPlane.tenantLimits(target))
    }

    /// Replaces the tenant's overrides whole (audited); its keys' next calls are held
    /// to them.
    public func setTenantLimits(_ request: SetTenantLimitsRequest, context: ServerContext) async throws -> TenantLimits {
        let target = try await targetTenant(request.tenantId, context)
        let overrides = request.overrides ?? CallLimits()
        try await controlPlane.setTenantLimits(target, overrides) { before, after in
            let changes = CallLimits.fieldNames.sorted().compactMap { field -> FieldChange? in
                let (old, new) = (before.value(of: field), after.value(of: field))
                return old == new ? nil : AuditLog.change(field, before: "\(old)", after: "\(new)")
            }
            guard !changes.isEmpty else { return nil }
            return self.auditEvent(context, kind: .tenant, recordID: target, action: .update, version: 0, changes: changes)
        }
        await deliverAudit(target)
        return limits(of: target, overrides: overrides)
    }

    private func limits(of tenantID: String, overrides: CallLimits) -> TenantLimits {
        TenantLimits(tenantId: tenantID, overrides: overrides, effective: serverSnapshot().callLimits.effective(overrides))
    }
}

extension CallLimits {
    /// The value of the field named `field` (a name from `fieldNames`).
    fileprivate func value(of field: String) -> UInt32 {
        switch field {
        case "tenant_calls_per_second": tenantCallsPerSecond
        case "tenant_concurrent_calls": tenantConcurrentCalls
        case "key_calls_per_second": keyCallsPerSecond
        default: keyConcurrentCalls
        }
    }
}
