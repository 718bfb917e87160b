import CoreMetrics
import Foundation
import Logging
import SFAClient
import SFAServer
import SFAServices
import SFAStorage
import SFAStubs
import SFATransport
import Testing

/// A whole server for tests: a fresh data directory under /tmp, the control plane,
/// tenant databases, the API-key gate and the admin service, on 127.0.0.1 and a port
/// the system picks; an operator key from the first start.
final class TestStack: Sendable {
    let directory: String
    let storage: StorageConfiguration
    let controlPlane: ControlPlane
    let tenants: TenantDatabases
    /// The server's gate, to look at its cache of credentials.
    let gate: APIKeyGate
    let server: RPCServer
    let port: Int
    let operatorKey: String
    /// The TLS of the stack's own clients; `nil` for plaintext.
    let clientTLS: ClientTLS?
    private let running: Task<Void, any Error>

    private init(
        directory: String,
        storage: StorageConfiguration,
        controlPlane: ControlPlane,
        tenants: TenantDatabases,
        gate: APIKeyGate,
        server: RPCServer,
        port: Int,
        operatorKey: String,
        clientTLS: ClientTLS?,
        running: Task<Void, any Error>
    ) {
        self.directory = directory
        self.storage = storage
        self.controlPlane = controlPlane
        self.tenants = tenants
        self.gate = gate
        self.server = server
        self.port = port
        self.operatorKey = operatorKey
        self.clientTLS = clientTLS
        self.running = running
    }

    /// - Parameters:
    ///   - metricsFactory: makes the server's and storage's metrics (none by default).
    ///   - logger: what the server logs to (nothing by default).
    ///   - tls: the listener's TLS, and `clientTLS` the stack's clients'; plaintext by default.
    static func start(
        maximumOpenTenantDatabases: Int = 64,
        tenantFileLocking: StorageConfiguration.TenantFileLocking = .process,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
        callLogLevel: Logger.Level = .debug,
        tls: ServerTLS? = nil,
        clientTLS: ClientTLS? = nil
    ) async throws -> TestStack {
        let directory = NSTemporaryDirectory() + "sfa-test-" + UUID().uuidString
        let storage = StorageConfiguration(
            dataDirectory: directory,
            maximumOpenTenantDatabases: maximumOpenTenantDatabases,
            tenantFileLocking: tenantFileLocking,
            metricsFactory: metricsFactory
        )
        let controlPlane = try ControlPlane(storage: storage)
        let tenants = try TenantDatabases(storage: storage, logger: logger)
        let operatorKey = try await Bootstrap.ensureOperator(controlPlane)!.apiKey
        var configuration = ServerConfiguration(metricsFactory: metricsFactory, callLogLevel: callLogLevel)
        configuration.port = 0
        configuration.tls = tls
        let gate = APIKeyGate(controlPlane: controlPlane, logger: logger)
        let server = RPCServer(
            configuration: configuration,
            services: SalesWireServices.all(controlPlane: controlPlane, tenants: tenants, storage: storage, logger: logger) {
                ServerSnapshot(openConnections: 0, maximumConnections: 0, draining: false)
            },
            gate: gate,
            logger: logger
        )
        let running = Task { try await server.run() }
        let port = try await server.listeningAddress.port!
        return TestStack(
            directory: directory,
            storage: storage,
            controlPlane: controlPlane,
            tenants: tenants,
            gate: gate,
            server: server,
            port: port,
            operatorKey: operatorKey,
            clientTLS: clientTLS,
            running: running
        )
    }

    /// A client calling with `key` (none when nil), without retries.
    func client(_ key: String?) -> RPCClient {
        RPCClient(configuration: ClientConfiguration(port: port, apiKey: key, retry: .none, tls: clientTLS))
    }

    func admin(_ key: String?) -> AdminServiceClient { AdminServiceClient(client(key)) }
    func leads(_ key: String?) -> LeadServiceClient { LeadServiceClient(client(key)) }
    func accounts(_ key: String?) -> AccountServiceClient { AccountServiceClient(client(key)) }
    func contacts(_ key: String?) -> ContactServiceClient { ContactServiceClient(client(key)) }
    func settings(_ key: String?) -> SettingsServiceClient { SettingsServiceClient(client(key)) }
    func pipelines(_ key: String?) -> PipelineServiceClient { PipelineServiceClient(client(key)) }
    func opportunities(_ key: String?) -> OpportunityServiceClient { OpportunityServiceClient(client(key)) }
    func quotes(_ key: String?) -> QuoteServiceClient { QuoteServiceClient(client(key)) }
    func proposals(_ key: String?) -> ProposalServiceClient { ProposalServiceClient(client(key)) }
    func activities(_ key: String?) -> ActivityServiceClient { ActivityServiceClient(client(key)) }
    func consultations(_ key: String?) -> ConsultationServiceClient { ConsultationServiceClient(client(key)) }
    func dailyReports(_ key: String?) -> DailyReportServiceClient { DailyReportServiceClient(client(key)) }
    func changes(_ key: String?) -> ChangeServiceClient { ChangeServiceClient(client(key)) }

    /// A tenant with one user and key per role, made through the API as in production:
    /// the operator creates the first admin and a bootstrap key; that admin creates the
    /// users and issues the working keys.
    func makeTenant(_ name: String) async throws -> TestTenant {
        let operatorAdmin = admin(operatorKey)
        let tenant = try await operatorAdmin.createTenant(CreateTenantRequest(tenant: Tenant(name: name)))
        let slug = name.lowercased().filter(\.isLetter)
        let firstAdmin = try await operatorAdmin.createUser(
            CreateUserRequest(tenantId: tenant.id, user: User(displayName: "admin of \(name)", email: "admin@\(slug).example", role: .admin, teamId: "t1"))
        )
        let bootstrapKey = try await operatorAdmin.issueApiKey(IssueApiKeyRequest(tenantId: tenant.id, userId: firstAdmin.id)).secret
        let tenantAdmin = admin(bootstrapKey)
        var keys: [Role: String] = [:]
        var users: [Role: User] = [.admin: firstAdmin]
        for role in [Role.manager, .rep, .marketing, .insideSales, .partner, .viewer] {
            users[role] = try await tenantAdmin.createUser(
                CreateUserRequest(user: User(displayName: "\(role) of \(name)", email: "\(role)@\(slug).example", role: role, teamId: "t1"))
            )
        }
        for role in [Role.admin, .manager, .rep, .marketing, .insideSales, .partner, .viewer] {
            keys[role] = try await tenantAdmin.issueApiKey(IssueApiKeyRequest(userId: users[role]!.id)).secret
        }
        return TestTenant(tenant: tenant, users: users, keys: keys, bootstrapKey: bootstrapKey)
    }

    func stop() async {
        running.cancel()
        _ = try? await running.value
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct TestTenant: Sendable {
    var tenant: Tenant
    var users: [Role: User]
    var keys: [Role: String]
    /// The admin key the operator issued: user and key management only.
    var bootstrapKey: String
}

/// Runs `body` with a started stack and always stops it.
func withStack<T: Sendable>(
    maximumOpenTenantDatabases: Int = 64,
    tenantFileLocking: StorageConfiguration.TenantFileLocking = .process,
    _ body: (TestStack) async throws -> T
) async throws -> T {
    let stack = try await TestStack.start(maximumOpenTenantDatabases: maximumOpenTenantDatabases, tenantFileLocking: tenantFileLocking)
    do {
        let result = try await body(stack)
        await stack.stop()
        return result
    } catch {
        await stack.stop()
        throw error
    }
}

/// The status code a call fails with, or nil when it succeeds.
func statusOf(_ call: () async throws -> some Any) async -> StatusCode? {
    do {
        _ = try await call()
        return nil
    } catch let error as RPCError {
        expectReasons(error)
        return error.code
    } catch {
        return .unknown
    }
}

/// The error a call fails with, or nil when it succeeds.
func failure(_ call: () async throws -> some Any) async -> RPCError? {
    do {
        _ = try await call()
        return nil
    } catch let error as RPCError {
        expectReasons(error)
        return error
    } catch {
        Issue.record("not an RPCError: \(error)")
        return nil
    }
}

/// Every field violation the server sends names its reason from the documented list
/// (`ViolationReason`, docs/protocol.md §3.4). Every failed call of the suite passes
/// through here (`statusOf`), so each bad-input case checks it.
func expectReasons(_ error: RPCError, sourceLocation: SourceLocation = #_sourceLocation) {
    for violation in error.details.fieldViolations {
        #expect(
            ViolationReason(rawValue: violation.reason) != nil,
            "violation of \(violation.field) (\(violation.description)) has reason \"\(violation.reason)\"",
            sourceLocation: sourceLocation
        )
    }
}
