import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How business services read and write a tenant's database: short reads on the
/// calling thread; writes in one immediate transaction that also records the
/// idempotency key (a retry gets the first response) and appends the audit events
/// the write produced — all or nothing.
struct TenantStore: Sendable {
    let tenants: TenantDatabases
    let controlPlane: ControlPlane

    func access(_ context: ServerContext) async throws -> RecordAccess {
        try await RecordAccess.of(context, controlPlane: controlPlane)
    }

    /// Runs a read synchronously on the calling thread, outside a transaction (see
    /// `TenantDatabases.read`): one statement, or statements that tolerate commits
    /// between them. `long`: a read that may take long (an aggregate over the whole
    /// file), kept off the writer connection so that no write waits for it.
    func read<T>(_ access: RecordAccess, long: Bool = false, _ body: (Database) throws -> T) async throws -> T {
        try await tenants.read(access.tenantID, long: long, body)
    }

    func write<Response: ProtoMessage>(
        _ access: RecordAccess,
        context: ServerContext,
        request: some ProtoMessage,
        _ body: @escaping @Sendable (Database, inout AuditTrail) throws -> Response
    ) async throws -> Response {
        let digest = requestDigest(request)
        let key = context.idempotencyKey
        let method = context.method.fullName
        let principal = access.principal
        return try await tenants.write(access.tenantID) { db in
            try Idempotency.run(db, key: key, method: method, userID: principal.userID, requestDigest: digest) {
                var trail = AuditTrail(principal: principal, method: method)
                let response = try body(db, &trail)
                for event in trail.events { try AuditLog.append(db, event) }
                return response
            }.response
        }
    }
}

/// The audit events of one write, appended in its transaction.
struct AuditTrail {
    let principal: Principal
    let method: String
    private(set) var events: [AuditEvent] = []

    init(principal: Principal, method: String) {
        self.principal = principal
        self.method = method
    }

    mutating func record(_ kind: RecordKind, _ id: String, _ action: AuditAction, version: Int64, changes: [FieldChange]) {
        events.append(
            AuditEvent(
                actorUserId: principal.userID,
                actorRole: principal.role,
                actorApiKeyId: principal.keyID,
                method: method,
                recordKind: kind,
                recordId: id,
                action: action,
                changes: changes,
                recordVersion: version
            )
        )
    }
}
