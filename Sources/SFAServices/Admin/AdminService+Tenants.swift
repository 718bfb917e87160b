import Foundation
import SFAStorage
public import SFAStubs

extension AdminService {
    public func createTenant(_ request: CreateTenantRequest, context: ServerContext) async throws -> Tenant {
        let principal = try context.requirePrincipal()
        let name = request.tenant?.name ?? ""
        var validation = Validation()
        validation.text(name, "tenant.name")
        try validation.throwIfInvalid()
        let row = TenantRow.make(name: name, createdBy: principal.userID, schemaVersion: TenantSchema.currentVersion)
        let event = auditEvent(context, kind: .tenant, recordID: row.id, action: .create, version: 1, changes: [
            AuditLog.change("name", before: nil, after: name)
        ])
        let replay = try await controlPlane.insertTenant(
            row,
            placedOn: node?.id,
            idempotency: idempotentWrite(request, response: row.message, context),
            audit: event
        )
        // Delivering also creates the tenant's file and migrates it now, not on its first call.
        guard let replay else {
            await deliverAudit(row.id)
            return row.message
        }
        return try Tenant(serializedBytes: replay)
    }

    /// The tenant; for operators deleted tenants too (the record stays as a tombstone).
    public func getTenant(_ request: GetTenantRequest, context: ServerContext) async throws -> Tenant {
        if try context.requirePrincipal().tenantID == nil, !request.tenantId.isEmpty {
            return try await controlPlane.tenant(request.tenantId).message
        }
        return try await controlPlane.tenant(try await targetTenant(request.tenantId, context)).message
    }

    public func listTenants(_ request: ListTenantsRequest, context: ServerContext) async throws -> ListTenantsResponse {
        // Bounded before any SQL: a list of values is one SQL variable each, and a long
        // LIKE pattern is refused by SQLite.
        var validation = Validation()
        validation.bounded(request.statuses.count, "statuses")
        validation.text(request.query, "query", required: false, maximumLength: 200)
        try validation.throwIfInvalid()
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "").request
        let rows = try await controlPlane.listTenants(page: page, statuses: Array(Set(request.statuses.map(\.rawValue))), query: request.query)
        return ListTenantsResponse(
            tenants: rows.map(\.message),
            nextPageToken: page.nextToken(lastID: rows.last?.id, count: rows.count)
        )
    }

    public func suspendTenant(_ request: SuspendTenantRequest, context: ServerContext) async throws -> Tenant {
        var validation = Validation()
        validation.text(request.reason, "reason", required: false, maximumLength: 500)
        try validation.throwIfInvalid()
        return try await changeStatus(request.tenantId, request.version, to: .suspended, reason: request.reason, context)
    }

    public func resumeTenant(_ request: ResumeTenantRequest, context: ServerContext) async throws -> Tenant {
        try await changeStatus(request.tenantId, request.version, to: .active, reason: "", context)
    }

    /// Removes the tenant's database files, backups and exports, then marks it deleted
    /// (its keys stop working on their next call; the record stays as a tombstone).
    /// If the files cannot be removed (calls still running), nothing changes.
    public func deleteTenant(_ request: DeleteTenantRequest, context: ServerContext) async throws -> Tenant {
        let target = try await targetTenant(request.tenantId, context)
        let current = try await controlPlane.tenant(target)
        guard current.version == request.version else {
            throw StorageError.staleVersion(kind: "tenant", id: target, current: current.version)
        }
        try await tenants.deleteFiles(target)
        for directory in [storage.backupsDirectory, storage.exportsDirectory] {
            let path = directory + "/" + target
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        }
        return try await changeStatus(target, request.version, to: .deleted, reason: "deleted", context)
    }

    private func changeStatus(
        _ tenantID: String,
        _ version: Int64,
        to status: TenantStatus,
        reason: String,
        _ context: ServerContext
    ) async throws -> Tenant {
        let target = try await targetTenant(tenantID, context)
        let audit: AuditRecorder<TenantRow> = { before, after in
            // A deleted tenant has no log left to write to.
            guard status != .deleted else { return nil }
            return self.auditEvent(context, kind: .tenant, recordID: target, action: .stateChange, version: after.version, changes: [
                AuditLog.change("status", before: "\(TenantStatus(rawValue: before.status))", after: "\(status)")
            ])
        }
        let row = try await controlPlane.setTenantStatus(target, expectedVersion: version, status: status, reason: reason, audit: audit)
        if status != .deleted { await deliverAudit(target) }
        return row.message
    }
}

extension TenantRow {
    var message: Tenant {
        Tenant(
            id: id,
            version: version,
            name: name,
            status: TenantStatus(rawValue: status),
            statusReason: statusReason,
            schemaVersion: schemaVersion,
            createdByUserId: createdByUserID,
            createTimeMs: createTimeMs,
            updateTimeMs: updateTimeMs
        )
    }
}
