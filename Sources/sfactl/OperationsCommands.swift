import ArgumentParser
import Foundation
import SFAMessages
import SFAStubs

/// `sfactl migrate`: AdminService.MigrateTenants.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Migrate tenant databases to this server's schema (AdminService.MigrateTenants, operator).",
        discussion: """
            Migrates every tenant unless --tenant names some. A database newer than the server's \
            code is refused and left untouched. With --dry-run nothing changes: each tenant shows \
            whether it would migrate. Exits with 1 when any tenant failed or was refused.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "A tenant id to migrate; repeat for several. All tenants when left out.")
    var tenant: [String] = []

    @Flag(help: "Report what would be migrated without changing anything.")
    var dryRun = false

    func run() async throws {
        var failed = false
        try await global.withClient { client in
            let response = try await AdminServiceClient(client).migrateTenants(
                MigrateTenantsRequest(tenantIds: tenant, dryRun: dryRun),
                options: global.callOptions
            )
            failed = response.results.contains { $0.outcome == .failed || $0.outcome == .newerThanCode }
            if global.json {
                print(try Output.json(response))
                return
            }
            print("server schema version: \(response.codeSchemaVersion)")
            var table = Table("TENANT", "FROM", "TO", "OUTCOME", "DURATION", "ERROR")
            for result in response.results {
                table.add(
                    result.tenantId,
                    String(result.fromVersion),
                    String(result.toVersion),
                    Output.enumText(result.outcome, "sfa.v1.MigrationOutcome"),
                    "\(result.durationMs) ms",
                    result.errorMessage.isEmpty ? "-" : result.errorMessage
                )
            }
            table.print()
        }
        if failed { throw ExitCode(ExitCodes.rpcError) }
    }
}

/// `sfactl backup TENANT`: AdminService.BackupTenant.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up a live tenant database (AdminService.BackupTenant, operator).",
        discussion: "The backup file is written in the server's backup directory; refer to it by its backup id."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The tenant id.")
    var tenant: String

    func run() async throws {
        try await global.withClient { client in
            let response = try await AdminServiceClient(client).backupTenant(
                BackupTenantRequest(tenantId: tenant),
                options: global.callOptions
            )
            if global.json {
                print(try Output.json(response))
            } else if let backup = response.backup {
                try Output.printRecord(backup, json: false)
            }
        }
    }
}

/// `sfactl backups TENANT`: AdminService.ListTenantBackups.
struct Backups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a tenant's backups, newest first (AdminService.ListTenantBackups, operator)."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The tenant id.")
    var tenant: String

    @OptionGroup var page: PageOptions

    func run() async throws {
        try await global.withClient { client in
            let admin = AdminServiceClient(client)
            let result = try await page.collect { token in
                let response = try await admin.listTenantBackups(
                    ListTenantBackupsRequest(tenantId: tenant, pageSize: page.pageSize ?? 0, pageToken: token),
                    options: global.callOptions
                )
                return (response.backups, response.nextPageToken)
            }
            if global.json {
                print(try Output.json(ListTenantBackupsResponse(backups: result.items, nextPageToken: result.nextPageToken)))
            } else {
                var table = Table("BACKUP", "CREATED", "SIZE", "SCHEMA", "FILE", "SHA256")
                for backup in result.items {
                    table.add(
                        backup.backupId,
                        Output.time(backup.createTimeMs),
                        Output.bytes(backup.sizeBytes),
                        String(backup.schemaVersion),
                        backup.fileName,
                        String(backup.sha256.prefix(16))
                    )
                }
                table.print()
            }
            PageOptions.noteMore(result.nextPageToken, json: global.json)
        }
    }
}

/// `sfactl prune-backups TENANT`: AdminService.ListTenantBackups, then DeleteTenantBackup
/// for each backup past the newest `--keep` (and older than `--older-than-days`).
struct PruneBackups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a tenant's old backups, keeping the newest (AdminService.DeleteTenantBackup, operator).",
        discussion: """
            The newest --keep backups always stay; of the others, those older than --older-than-days \
            (all of them when it is left out) are removed, file and record. Prints what was removed.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The tenant id.")
    var tenant: String

    @Option(help: "How many of the newest backups to keep whatever their age.")
    var keep: Int

    @Option(help: "Remove only backups older than this many days.")
    var olderThanDays: Int?

    @Flag(help: "Print what would be removed; remove nothing.")
    var dryRun = false

    func validate() throws {
        if keep < 0 { throw ValidationError("--keep must be 0 or more") }
        if let olderThanDays, olderThanDays < 0 { throw ValidationError("--older-than-days must be 0 or more") }
    }

    func run() async throws {
        try await global.withClient { client in
            let admin = AdminServiceClient(client)
            var backups: [TenantBackup] = []
            var token = ""
            repeat {
                let page = try await admin.listTenantBackups(
                    ListTenantBackupsRequest(tenantId: tenant, pageToken: token),
                    options: global.callOptions
                )
                backups += page.backups
                token = page.nextPageToken
            } while !token.isEmpty
            let cutoff = olderThanDays.map { Int64(Date().timeIntervalSince1970 * 1000) - Int64($0) * 86_400_000 } ?? .max
            let doomed = backups.sorted { $0.createTimeMs > $1.createTimeMs }.dropFirst(keep).filter { $0.createTimeMs < cutoff }
            var removed: [TenantBackup] = []
            for backup in doomed {
                if !dryRun {
                    _ = try await admin.deleteTenantBackup(
                        DeleteTenantBackupRequest(tenantId: tenant, backupId: backup.backupId),
                        options: global.callOptions
                    )
                }
                removed.append(backup)
            }
            if global.json {
                print(try Output.json(ListTenantBackupsResponse(backups: removed)))
            } else {
                var table = Table(dryRun ? "WOULD REMOVE" : "REMOVED", "CREATED", "SIZE")
                for backup in removed { table.add(backup.backupId, Output.time(backup.createTimeMs), Output.bytes(backup.sizeBytes)) }
                table.print()
            }
        }
    }
}

/// `sfactl restore TENANT BACKUP_ID`: AdminService.RestoreTenant.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace a tenant's database with one of its backups (AdminService.RestoreTenant, operator).",
        discussion: "Calls to the tenant wait (or get UNAVAILABLE) while the restore runs. Writes made after the backup are lost."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The tenant id.")
    var tenant: String

    @Argument(help: "The backup id (bak_…), as 'sfactl backups' lists it.")
    var backupId: String

    func run() async throws {
        try await global.withClient { client in
            let response = try await AdminServiceClient(client).restoreTenant(
                RestoreTenantRequest(tenantId: tenant, backupId: backupId),
                options: global.callOptions
            )
            try Output.printRecord(response, json: global.json)
        }
    }
}

/// `sfactl export TENANT`: AdminService.ExportTenant.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an export of a tenant's data on the server (AdminService.ExportTenant, operator or tenant admin).",
        discussion: """
            The file goes to the server's export directory; the reply names it with its size and SHA-256. \
            A tenant admin exports its own tenant: leave the tenant id out.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The tenant id (operators; a tenant admin leaves it out).")
    var tenant: String = ""

    @Option(help: "jsonl: one record per line in the proto3 JSON mapping; sqlite: a compacted copy of the database.")
    var format: ExportFormatArgument = .jsonl

    func run() async throws {
        try await global.withClient { client in
            let response = try await AdminServiceClient(client).exportTenant(
                ExportTenantRequest(tenantId: tenant, format: format.format),
                options: global.callOptions
            )
            try Output.printRecord(response, json: global.json)
        }
    }
}
