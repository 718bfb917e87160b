import Foundation
import GRDB
import SFAStorage
import SFAStubs

/// How business services read and write a tenant's database: reads in a read
/// transaction; writes in one immediate transaction that also records the
/// idempotency key (a retry gets the first response) and appends the audit events
/// the write produced — all or nothing.
struct TenantStore: Sendable {
    let tenants: TenantDatabases
    let controlPlane: ControlPlane

    func access(_ context: ServerContext) async throws -> RecordAccess {
        try await RecordAccess.of(context, controlPlane: controlPlane)
    }

    func read<T: Sendable>(_ access: RecordAccess, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await tenants.withDatabase(access.tenantID) { queue in try await queue.read(body) }
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
        return try await tenants.withDatabase(access.tenantID) { queue in
            try await queue.writeImmediate { db in
                try Idempotency.run(db, key: key, method: method, userID: principal.userID, requestDigest: digest) {
                    var trail = AuditTrail(principal: principal, method: method)
                    let response = try body(db, &trail)
                    for event in trail.events { try AuditLog.append(db, event) }
                    return response
                }.response
            }
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

/// Rows of business tables: the whole message in `data`, plus queryable columns.
enum RecordRows {
    /// The message with `id` in `table`, if it exists and is within `condition`.
    static func fetch<M: ProtoMessage>(_ db: Database, _: M.Type, table: String, id: String, condition: SQLExpression) throws -> M? {
        let request = Table(table).select(Column("data")).filter(Column("id") == id).filter(condition)
        guard let data = try Data.fetchOne(db, request) else { return nil }
        return try M(serializedBytes: Array(data))
    }

    /// Messages of `request` (which selects `data`), decoded.
    static func fetchAll<M: ProtoMessage>(_ db: Database, _: M.Type, _ request: QueryInterfaceRequest<Row>) throws -> [M] {
        try Data.fetchAll(db, request.select(Column("data"))).map { try M(serializedBytes: Array($0)) }
    }

    static func insert(_ db: Database, table: String, columns: [String: (any DatabaseValueConvertible)?]) throws {
        let names = columns.keys.sorted()
        try db.execute(
            sql: "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))",
            arguments: StatementArguments(names.map { columns[$0]! })
        )
    }

    /// Updates the row if its version is still `expectedVersion`.
    /// - Throws: `StorageError.staleVersion` otherwise.
    static func update(
        _ db: Database,
        table: String,
        id: String,
        expectedVersion: Int64,
        columns: [String: (any DatabaseValueConvertible)?]
    ) throws {
        let names = columns.keys.sorted()
        try db.execute(
            sql: "UPDATE \(table) SET \(names.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ? AND version = ?",
            arguments: StatementArguments(names.map { columns[$0]! }) + [id, expectedVersion]
        )
        guard db.changesCount == 1 else {
            let current = try Int64.fetchOne(db, sql: "SELECT version FROM \(table) WHERE id = ?", arguments: [id]) ?? 0
            throw StorageError.staleVersion(kind: table, id: id, current: current)
        }
    }
}
