import ArgumentParser

/// `sfa-load`: the load generator bundled with SalesWire (docs/sfa-load.md).
@main
struct SfaLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfa-load",
        abstract: "Drive a SalesWire server with a realistic load and report latency percentiles.",
        discussion: """
            'sfa-load setup' makes tenants (users, keys, seed records) through the API and writes their \
            keys file; 'sfa-load run' (the default) spreads a scenario over them, closed loop or at a \
            fixed rate, and reports per-method p50/p90/p99/p99.9/max and errors by status.
            """,
        subcommands: [RunCommand.self, SetupCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
