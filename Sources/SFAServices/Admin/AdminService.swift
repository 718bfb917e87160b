public import Logging
public import SFAStorage
public import SFAStubs

/// What `GetServerStats` reports about the transport, supplied by the server.
public struct ServerSnapshot: Sendable {
    public var openConnections: Int
    public var maximumConnections: Int
    public var draining: Bool
    public var callsInFlight: Int
    /// Per method: calls, errors, statuses, latency percentiles.
    public var methods: [MethodStats]
    /// The server's default call limits, under tenants' overrides.
    public var callLimits: CallLimiterConfiguration

    public init(
        openConnections: Int,
        maximumConnections: Int,
        draining: Bool,
        callsInFlight: Int = 0,
        methods: [MethodStats] = [],
        callLimits: CallLimiterConfiguration = CallLimiterConfiguration()
    ) {
        self.openConnections = openConnections
        self.maximumConnections = maximumConnections
        self.draining = draining
        self.callsInFlight = callsInFlight
        self.methods = methods
        self.callLimits = callLimits
    }
}

/// `sfa.v1.AdminService`: tenants, users, API keys, migrations, backups, exports and
/// stats. Operators act across tenants (and name the tenant in the request); every
/// other caller acts on its own tenant only, whatever the request says. Operators
/// never read tenant business data: these methods touch the control plane, whole
/// database files and counts only.
public struct AdminService: AdminServiceHandler {
    let controlPlane: ControlPlane
    let tenants: TenantDatabases
    let storage: StorageConfiguration
    let logger: Logger
    let startTimeMs: Int64
    let serverSnapshot: @Sendable () -> ServerSnapshot
    /// This node's routing in a cluster; nil on a single node.
    let router: TenantRouter?
    /// This node in a cluster: new tenants are placed on it.
    var node: ClusterNode? { router?.node }

    public init(
        controlPlane: ControlPlane,
        tenants: TenantDatabases,
        storage: StorageConfiguration,
        logger: Logger,
        router: TenantRouter? = nil,
        serverSnapshot: @escaping @Sendable () -> ServerSnapshot
    ) {
        self.router = router
        self.controlPlane = controlPlane
        self.tenants = tenants
        self.storage = storage
        self.logger = logger
        self.startTimeMs = nowMs()
        self.serverSnapshot = serverSnapshot
    }

    /// The tenant a call acts on: the caller's own, or for operators the one named
    /// in the request, which must exist and not be deleted. In a cluster an operator's
    /// call is sent to the tenant's owner (`routed`), as the gate sends tenant keys'
    /// calls: backups, exports and stats touch the tenant's file (methods of the
    /// control plane only are answered here, ``TenantRouter/route(_:method:keyTenant:)``).
    func targetTenant(_ requested: String, _ context: ServerContext, routed: Bool = true) async throws -> String {
        let principal = try context.requirePrincipal()
        if let own = principal.tenantID {
            // Another tenant's id gets the same answer as an id that does not exist.
            guard requested.isEmpty || requested == own else { throw StorageError.notFound(kind: "tenant", id: requested) }
            return own
        }
        guard !requested.isEmpty else {
            throw RPCError.invalidArgument(
                "operators must name the tenant",
                violations: [FieldViolation("tenant_id", .required, "is required")]
            )
        }
        let tenant = try await controlPlane.tenant(requested)
        guard tenant.status != TenantStatus.deleted.rawValue else { throw StorageError.notFound(kind: "tenant", id: requested) }
        if routed, let router { try await router.route(requested, method: context.method.fullName, keyTenant: false) }
        return requested
    }

    /// The audit event of a change made by the caller in `context`, stamped with its id
    /// and time; nil for calls without a principal.
    func auditEvent(
        _ context: ServerContext,
        kind: RecordKind,
        recordID: String,
        action: AuditAction,
        version: Int64,
        changes: [FieldChange]
    ) -> AuditEvent? {
        guard let principal = context.principal else { return nil }
        return AuditLog.stamped(
            AuditEvent(
                actorUserId: principal.userID,
                actorRole: principal.role,
                actorApiKeyId: principal.keyID,
                method: context.method.fullName,
                recordKind: kind,
                recordId: recordID,
                action: action,
                changes: changes,
                recordVersion: version
            )
        )
    }

    /// The idempotency record of a control-plane write answering `response`; nil when
    /// the call carries no key.
    func idempotentWrite(_ request: some ProtoMessage, response: some ProtoMessage, _ context: ServerContext) throws -> IdempotentWrite? {
        guard let key = context.idempotencyKey else { return nil }
        return IdempotentWrite(
            key: key,
            method: context.method.fullName,
            userID: try context.requirePrincipal().userID,
            requestDigest: requestDigest(request),
            response: response.serializedBytes()
        )
    }

    /// Moves the tenant's events from the control plane's outbox (where changes put
    /// them in their own transaction) into the tenant's log. What cannot be delivered
    /// now (the file busy or unavailable, or in a cluster a tenant this node does not
    /// write) stays for the next delivery.
    func deliverAudit(_ tenantID: String) async {
        if let router, await !router.writesHere(tenantID) { return }
        await AuditOutbox.deliver(tenantID, controlPlane: controlPlane, tenants: tenants, logger: logger)
    }
}

extension ServerContext {
    /// The caller; every method behind the API-key gate has one.
    func requirePrincipal() throws -> Principal {
        guard let principal else {
            throw RPCError(code: .unauthenticated, message: "the call carries no credentials")
        }
        return principal
    }
}
