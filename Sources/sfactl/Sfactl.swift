import ArgumentParser
import SFARPC

/// `sfactl`, the admin and client command line of SalesWire (docs/sfactl.md).
@main
struct Sfactl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfactl",
        abstract: "Administer a SalesWire server and call any of its RPCs.",
        discussion: """
            Every command that talks to a server takes --host, --port, --api-key, --timeout \
            and --json (see 'sfactl help <command>'). The API key is read from SFA_API_KEY \
            unless --api-key is given; it is never printed. On an RPC error sfactl prints \
            'error: <STATUS>: <message>' and the field violations on standard error and exits \
            with 1; a local error (bad JSON, unknown method) exits with 2; wrong usage with 64.
            """,
        version: SalesWireVersion.current,
        subcommands: [
            Health.self,
            Ping.self,
            Tenants.self,
            Users.self,
            Keys.self,
            Migrate.self,
            Backup.self,
            Backups.self,
            PruneBackups.self,
            Restore.self,
            Export.self,
            Stats.self,
            Call.self,
            List.self,
            Describe.self,
        ]
    )

    /// Declared here too, so that they may come before the subcommand: `sfactl --json tenants list`.
    @OptionGroup var global: GlobalOptions
}
