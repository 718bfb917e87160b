import ArgumentParser
import SFAMessages
import SFAStubs

/// `sfactl users …`: a tenant's users (operator with --tenant, or a tenant admin).
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, show and deactivate users.",
        discussion: """
            An operator key names the tenant with --tenant; a tenant admin's key acts on its own \
            tenant (leave --tenant out).
            """,
        subcommands: [Create.self, List.self, Get.self, Deactivate.self]
    )

    static let tenantHelp = ArgumentHelp(
        "The tenant id: required with an operator key; a tenant admin's key uses its own tenant.",
        valueName: "tenant-id"
    )

    static func printTable(_ users: [User]) {
        var table = Table("ID", "NAME", "EMAIL", "ROLE", "TEAM", "STATUS", "VERSION")
        for user in users {
            table.add(
                user.id,
                user.displayName,
                user.email,
                Output.enumText(user.role, "sfa.v1.Role"),
                user.teamId.isEmpty ? "-" : user.teamId,
                Output.enumText(user.status, "sfa.v1.UserStatus"),
                String(user.version)
            )
        }
        table.print()
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (AdminService.CreateUser).")

        @OptionGroup var global: GlobalOptions

        @Option(help: Users.tenantHelp)
        var tenant: String?

        @Option(help: "The user's display name.")
        var name: String

        @Option(help: "The user's email, unique within the tenant.")
        var email: String

        @Option(help: "The user's role.")
        var role: RoleArgument

        @Option(help: "The team id (team_…) the user belongs to.")
        var team: String?

        @Option(help: "The user id of the manager who approves this user's daily reports (default: the team's manager).")
        var manager: String?

        func run() async throws {
            try await global.withClient { client in
                let user = try await AdminServiceClient(client).createUser(
                    CreateUserRequest(
                        tenantId: tenant ?? "",
                        user: User(displayName: name, email: email, role: role.role, teamId: team ?? "", managerUserId: manager ?? "")
                    ),
                    options: global.callOptions
                )
                try Output.printRecord(user, json: global.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's users (AdminService.ListUsers).")

        @OptionGroup var global: GlobalOptions

        @Option(help: Users.tenantHelp)
        var tenant: String?

        @Option(help: "Only users with this role; repeat for several.")
        var role: [RoleArgument] = []

        @Option(help: "Only users of this team id.")
        var team: String?

        @Option(help: "Only users whose name or email contains this text.")
        var query: String?

        @Flag(help: "Include deactivated users.")
        var includeDeactivated = false

        @OptionGroup var page: PageOptions

        func run() async throws {
            try await global.withClient { client in
                let admin = AdminServiceClient(client)
                let result = try await page.collect { token in
                    let response = try await admin.listUsers(
                        ListUsersRequest(
                            tenantId: tenant ?? "",
                            pageSize: page.pageSize ?? 0,
                            pageToken: token,
                            roles: role.map(\.role),
                            teamId: team ?? "",
                            includeDeactivated: includeDeactivated,
                            query: query ?? ""
                        ),
                        options: global.callOptions
                    )
                    return (response.users, response.nextPageToken)
                }
                if global.json {
                    print(try Output.json(ListUsersResponse(users: result.items, nextPageToken: result.nextPageToken)))
                } else {
                    Users.printTable(result.items)
                }
                PageOptions.noteMore(result.nextPageToken, json: global.json)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user (AdminService.GetUser).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The user id.")
        var id: String

        @Option(help: Users.tenantHelp)
        var tenant: String?

        func run() async throws {
            try await global.withClient { client in
                let user = try await AdminServiceClient(client).getUser(
                    GetUserRequest(tenantId: tenant ?? "", id: id),
                    options: global.callOptions
                )
                try Output.printRecord(user, json: global.json)
            }
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate a user (AdminService.DeactivateUser).",
            discussion: "The user can no longer call and all their keys are revoked, effective immediately."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The user id.")
        var id: String

        @Option(help: "The user's current version (from 'users get'); a stale version fails with ABORTED.")
        var version: Int64

        @Option(help: Users.tenantHelp)
        var tenant: String?

        func run() async throws {
            try await global.withClient { client in
                let user = try await AdminServiceClient(client).deactivateUser(
                    DeactivateUserRequest(tenantId: tenant ?? "", id: id, version: version),
                    options: global.callOptions
                )
                try Output.printRecord(user, json: global.json)
            }
        }
    }
}
