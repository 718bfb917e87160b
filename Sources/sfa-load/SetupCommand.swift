import ArgumentParser
import Foundation
import SFALoad

/// `sfa-load setup`: tenants with users, keys and seed records, made through the API.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Make N tenants with an admin user, a key and seed records, and write their keys file.",
        discussion: """
            Idempotent: tenants already in the keys file are kept and only the missing ones are made, \
            so a second setup with the same file reuses them. Needs an operator key (--operator-key, \
            or SFA_API_KEY). The file is created with mode 0600: it holds API keys.
            """
    )

    @OptionGroup var target: TargetOptions

    @Option(help: "The keys file to complete (created when missing).")
    var keysFile: String

    @Option(help: "Tenants the keys file should hold.")
    var tenants = 1

    @Option(help: "An operator key; default: the SFA_API_KEY environment variable.")
    var operatorKey: String?

    @Option(help: "Leads made in each tenant.")
    var leads = 1

    @Option(help: "Accounts made in each tenant.")
    var accounts = 1

    @Option(help: "Opportunities made in each tenant (on its accounts).")
    var opportunities = 2

    @Option(help: "Tenants set up at once.")
    var concurrency = 16

    @Option(help: "Tenant names: this prefix and a number.")
    var namePrefix = "sfa-load-"

    func run() async throws {
        guard let key = operatorKey ?? ProcessInfo.processInfo.environment["SFA_API_KEY"] else {
            throw ValidationError("give --operator-key or set SFA_API_KEY")
        }
        var configuration = TenantSetup.Configuration(
            host: target.host, port: target.port, operatorKey: key, tenants: tenants, namePrefix: namePrefix,
            leadsPerTenant: leads, accountsPerTenant: accounts, opportunitiesPerTenant: opportunities, concurrency: concurrency
        )
        configuration.tls = try target.tls.clientTLS(host: target.host)
        let setup = TenantSetup(configuration: configuration)
        let progress = LoadProgress()
        let line = ProgressLine.show(progress, label: "tenants made")
        let fixtures = try await setup.run(keysFile: keysFile, progress: progress)
        line?.cancel()
        await line?.value
        print("\(fixtures.count) tenants in \(keysFile) (\(progress.succeeded) made now)")
    }
}
