import Foundation
import SFAClient
import SFAMessages
import SFARPC
import SFAStubs
public import SFATransport
import Synchronization

/// Makes the tenants a run spreads its calls over, through the public API as any
/// client would: with an operator key, a tenant with an admin user and a bootstrap
/// key, with which the admin issues its working key; with that key, the seed records. The keys file is the record of what
/// exists: a tenant with a line there is kept, so a second setup reuses them and only
/// makes what is missing.
public struct TenantSetup: Sendable {
    /// What setup makes.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var operatorKey: String
        /// Tenants the keys file should hold in the end.
        public var tenants: Int
        /// Tenant names are the prefix and a number: `sfa-load-00001`, …
        public var namePrefix: String
        public var leadsPerTenant: Int
        public var accountsPerTenant: Int
        public var opportunitiesPerTenant: Int
        /// Tenants set up at once.
        public var concurrency: Int
        /// TLS for the connections; `nil` for plaintext.
        public var tls: ClientTLS? = nil

        public init(
            host: String = "127.0.0.1", port: Int = 7411, operatorKey: String, tenants: Int, namePrefix: String = "sfa-load-",
            leadsPerTenant: Int = 1, accountsPerTenant: Int = 1, opportunitiesPerTenant: Int = 2, concurrency: Int = 16
        ) {
            self.host = host
            self.port = port
            self.operatorKey = operatorKey
            self.tenants = tenants
            self.namePrefix = namePrefix
            self.leadsPerTenant = max(0, leadsPerTenant)
            self.accountsPerTenant = max(1, accountsPerTenant)
            self.opportunitiesPerTenant = max(0, opportunitiesPerTenant)
            self.concurrency = max(1, concurrency)
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Makes the tenants the keys file lacks, appending a line for each as soon as it
    /// is ready (an interrupted setup keeps what it finished), and returns them all.
    public func run(keysFile: String, progress: LoadProgress = LoadProgress()) async throws -> [TenantFixture] {
        let existing = FileManager.default.fileExists(atPath: keysFile) ? try TenantFixture.read(file: keysFile) : []
        let names = Set(existing.map(\.name))
        let missing = (1...max(1, configuration.tenants)).map { name(of: $0) }.filter { !names.contains($0) }
        guard !missing.isEmpty, configuration.tenants > 0 else { return existing }
        if !FileManager.default.fileExists(atPath: keysFile) {
            guard FileManager.default.createFile(atPath: keysFile, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw LoadError("cannot create \(keysFile)")
            }
        }
        guard let file = FileHandle(forWritingAtPath: keysFile) else { throw LoadError("cannot write \(keysFile)") }
        defer { try? file.close() }
        try file.seekToEnd()
        let work = Work(names: missing[...], file: file)
        let configuration = self.configuration
        let client = RPCClient(
            configuration: ClientConfiguration(
                host: configuration.host, port: configuration.port, apiKey: configuration.operatorKey, connections: 2,
                tls: configuration.tls
            )
        )
        let made: [TenantFixture]
        do {
            made = try await withThrowingTaskGroup(of: [TenantFixture].self) { group in
                for _ in 0..<min(configuration.concurrency, missing.count) {
                    group.addTask {
                        var made: [TenantFixture] = []
                        while let name = work.names.withLock({ $0.popFirst() }) {
                            let fixture = try await Self.makeTenant(named: name, configuration: configuration, client: client)
                            let line = try fixture.line() + "\n"
                            try work.file.withLock { try $0.write(contentsOf: Data(line.utf8)) }
                            made.append(fixture)
                            progress.add(succeeded: true)
                        }
                        return made
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        } catch {
            await client.close()
            throw error
        }
        await client.close()
        // The file order: the run's Zipf ranks follow it, so keep it stable.
        let byName = Dictionary(uniqueKeysWithValues: (existing + made).map { ($0.name, $0) })
        return byName.keys.sorted().compactMap { byName[$0] }
    }

    /// What the concurrent setup tasks share: the names left to make, the keys file.
    private final class Work: Sendable {
        let names: Mutex<ArraySlice<String>>
        let file: Mutex<FileHandle>

        init(names: ArraySlice<String>, file: FileHandle) {
            self.names = Mutex(names)
            self.file = Mutex(file)
        }
    }

    private func name(of number: Int) -> String {
        configuration.namePrefix + String(format: "%05d", number)
    }

    private static func makeTenant(named name: String, configuration: Configuration, client: RPCClient) async throws -> TenantFixture {
        let admin = AdminServiceClient(client)
        let tenant = try await admin.createTenant(CreateTenantRequest(tenant: Tenant(name: name)))
        let user = try await admin.createUser(
            CreateUserRequest(tenantId: tenant.id, user: User(displayName: "Load admin", email: "load@\(name).example", role: .admin))
        )
        // A key an operator issues only manages users and keys (a bootstrap key): the
        // tenant's admin issues the working key with it, as a new customer would.
        let bootstrap = try await admin.issueApiKey(
            IssueApiKeyRequest(tenantId: tenant.id, userId: user.id, displayName: "sfa-load bootstrap", role: .admin)
        )
        let key = try await admin.issueApiKey(
            IssueApiKeyRequest(tenantId: tenant.id, userId: user.id, displayName: "sfa-load", role: .admin),
            options: CallOptions(apiKey: bootstrap.secret)
        )
        var fixture = TenantFixture(tenantId: tenant.id, name: name, apiKey: key.secret, userId: user.id)
        let options = CallOptions(apiKey: key.secret)
        let pipeline = try await PipelineServiceClient(client).listPipelines(ListPipelinesRequest(), options: options).pipelines
            .first { $0.isDefault }
        fixture.pipelineId = pipeline?.id ?? ""
        fixture.stages = pipeline?.stages.filter { !$0.isClosed && !$0.retired }.map(\.id) ?? []
        for index in 0..<configuration.accountsPerTenant {
            let account = try await AccountServiceClient(client).createAccount(
                CreateAccountRequest(account: Account(name: SampleText.companies[index % SampleText.companies.count], kind: .customer, ownerUserId: user.id)),
                options: options
            )
            fixture.accounts.append(account.id)
        }
        for index in 0..<configuration.leadsPerTenant {
            let first = SampleText.firstNames[index % SampleText.firstNames.count]
            let last = SampleText.lastNames[index % SampleText.lastNames.count]
            let response = try await LeadServiceClient(client).createLead(
                CreateLeadRequest(
                    lead: Lead(
                        firstName: first, lastName: last, email: "\(first.lowercased()).\(index)@\(name).example",
                        companyName: SampleText.companies[index % SampleText.companies.count], source: .website, ownerUserId: user.id
                    ),
                    allowDuplicate: true
                ),
                options: options
            )
            if let lead = response.lead { fixture.leads.append(lead.id) }
        }
        for index in 0..<configuration.opportunitiesPerTenant {
            let deal = try await OpportunityServiceClient(client).createOpportunity(
                CreateOpportunityRequest(
                    opportunity: Opportunity(
                        name: "Deal \(index + 1)", accountId: fixture.accounts[index % fixture.accounts.count],
                        amount: Money(currencyCode: "JPY", amountMinor: 1_000_000 * Int64(index + 1)),
                        expectedCloseDate: SampleText.isoDate(daysFromToday: 60), ownerUserId: user.id
                    )
                ),
                options: options
            )
            fixture.opportunities.append(deal.id)
        }
        return fixture
    }
}
