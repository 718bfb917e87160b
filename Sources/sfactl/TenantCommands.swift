import ArgumentParser
import SFAMessages
import SFAStubs

/// `sfactl tenants …`: tenant lifecycle (operator keys).
struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, suspend, resume, delete and move tenants (operator key).",
        subcommands: [Create.self, List.self, Get.self, Suspend.self, Resume.self, Delete.self, Move.self]
    )

    /// Prints tenants as a table.
    static func printTable(_ tenants: [Tenant]) {
        var table = Table("ID", "NAME", "STATUS", "VERSION", "SCHEMA", "CREATED")
        for tenant in tenants {
            table.add(
                tenant.id,
                tenant.name,
                Output.enumText(tenant.status, "sfa.v1.TenantStatus"),
                String(tenant.version),
                String(tenant.schemaVersion),
                Output.time(tenant.createTimeMs)
            )
        }
        table.print()
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant (AdminService.CreateTenant).",
            discussion: "The server seeds its default settings and the default pipeline, and prints the new tenant."
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "The tenant's display name.")
        var name: String

        func run() async throws {
            try await global.withClient { client in
                let tenant = try await AdminServiceClient(client).createTenant(
                    CreateTenantRequest(tenant: Tenant(name: name)),
                    options: global.callOptions
                )
                try Output.printRecord(tenant, json: global.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tenants (AdminService.ListTenants).",
            discussion: "Prints one page unless --all is given; the next page token goes to standard error."
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only tenants with this status.")
        var status: TenantStatusArgument?

        @Option(help: "Only tenants whose name contains this text.")
        var query: String?

        @OptionGroup var page: PageOptions

        func run() async throws {
            try await global.withClient { client in
                let admin = AdminServiceClient(client)
                let result = try await page.collect { token in
                    let response = try await admin.listTenants(
                        ListTenantsRequest(
                            pageSize: page.pageSize ?? 0,
                            pageToken: token,
                            statuses: status.map { [$0.status] } ?? [],
                            query: query ?? ""
                        ),
                        options: global.callOptions
                    )
                    return (response.tenants, response.nextPageToken)
                }
                if global.json {
                    print(try Output.json(ListTenantsResponse(tenants: result.items, nextPageToken: result.nextPageToken)))
                } else {
                    Tenants.printTable(result.items)
                }
                PageOptions.noteMore(result.nextPageToken, json: global.json)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one tenant (AdminService.GetTenant).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The tenant id.")
        var id: String

        func run() async throws {
            try await global.withClient { client in
                let tenant = try await AdminServiceClient(client).getTenant(
                    GetTenantRequest(tenantId: id),
                    options: global.callOptions
                )
                try Output.printRecord(tenant, json: global.json)
            }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a tenant to another node of the cluster (AdminService.MoveTenant).",
            discussion: """
                Its writes stop while a consistent copy is handed to the target node, which owns it \
                at the next epoch; clients follow the redirect. Any node takes the call and sends it \
                to the tenant's owner. Prints the tenant's placement after the move.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The tenant id.")
        var id: String

        @Option(help: "The id of the node to move it to (sfad --node-id).")
        var to: String

        func run() async throws {
            try await global.withClient { client in
                let placement = try await AdminServiceClient(client).moveTenant(
                    MoveTenantRequest(tenantId: id, toNodeId: to),
                    options: global.callOptions
                )
                try Output.printRecord(placement, json: global.json)
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suspend a tenant (AdminService.SuspendTenant).",
            discussion: "Its keys are refused at once with PERMISSION_DENIED (TENANT_SUSPENDED) until it is resumed."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The tenant id.")
        var id: String

        @Option(help: "The tenant's current version (from 'tenants get'); a stale version fails with ABORTED.")
        var version: Int64

        @Option(help: "Why it is suspended; shown to its callers.")
        var reason: String?

        func run() async throws {
            try await global.withClient { client in
                let tenant = try await AdminServiceClient(client).suspendTenant(
                    SuspendTenantRequest(tenantId: id, version: version, reason: reason ?? ""),
                    options: global.callOptions
                )
                try Output.printRecord(tenant, json: global.json)
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a suspended tenant (AdminService.ResumeTenant).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The tenant id.")
        var id: String

        @Option(help: "The tenant's current version (from 'tenants get').")
        var version: Int64

        func run() async throws {
            try await global.withClient { client in
                let tenant = try await AdminServiceClient(client).resumeTenant(
                    ResumeTenantRequest(tenantId: id, version: version),
                    options: global.callOptions
                )
                try Output.printRecord(tenant, json: global.json)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a tenant and its database files (AdminService.DeleteTenant).",
            discussion: "Irreversible: its files, backups and exports are removed and its keys stop working; the record stays as a tombstone."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The tenant id.")
        var id: String

        @Option(help: "The tenant's current version (from 'tenants get').")
        var version: Int64

        func run() async throws {
            try await global.withClient { client in
                let tenant = try await AdminServiceClient(client).deleteTenant(
                    DeleteTenantRequest(tenantId: id, version: version),
                    options: global.callOptions
                )
                try Output.printRecord(tenant, json: global.json)
            }
        }
    }
}
