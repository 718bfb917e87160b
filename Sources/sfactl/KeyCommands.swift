import ArgumentParser
import Foundation
import SFAMessages
import SFAStubs

/// `sfactl keys …`: API keys.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue, list and revoke API keys.",
        discussion: "The server keeps only a hash of each key: a key's secret is printed once, when it is issued.",
        subcommands: [Issue.self, List.self, Revoke.self]
    )

    static func printTable(_ keys: [ApiKey]) {
        var table = Table("ID", "USER", "ROLE", "NAME", "PREFIX", "EXPIRES", "LAST USED", "REVOKED")
        for key in keys {
            table.add(
                key.id,
                key.userId,
                Output.enumText(key.role, "sfa.v1.Role"),
                key.displayName.isEmpty ? "-" : key.displayName,
                key.keyPrefix,
                key.expireTimeMs == 0 ? "never" : Output.time(key.expireTimeMs),
                Output.time(key.lastUsedTimeMs),
                key.revoked ? Output.time(key.revokeTimeMs) : "no"
            )
        }
        table.print()
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue an API key for a user (AdminService.IssueApiKey).",
            discussion: """
                Prints the key's secret once; the server cannot show it again. With --json the \
                secret is in the 'secret' field of the reply.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "The user id the key acts as.")
        var user: String

        @Option(help: Users.tenantHelp)
        var tenant: String?

        @Option(help: "A display name for the key, e.g. the system that uses it.")
        var name: String?

        @Option(help: "The key's role: the user's own role (default) or viewer.")
        var role: RoleArgument?

        @Option(help: "Days until the key expires; never when left out.")
        var expiresInDays: Int?

        func validate() throws {
            if let expiresInDays, expiresInDays <= 0 { throw ValidationError("--expires-in-days must be greater than 0") }
        }

        func run() async throws {
            let expireTimeMs = expiresInDays.map { days in
                Int64((Date().timeIntervalSince1970 * 1000).rounded()) + Int64(days) * 86_400_000
            } ?? 0
            try await global.withClient { client in
                let response = try await AdminServiceClient(client).issueApiKey(
                    IssueApiKeyRequest(
                        tenantId: tenant ?? "",
                        userId: user,
                        displayName: name ?? "",
                        role: role?.role ?? .unspecified,
                        expireTimeMs: expireTimeMs
                    ),
                    options: global.callOptions
                )
                ErrorReporter.printError("warning: this is the only time the key's secret is shown; store it now.")
                if global.json {
                    print(try Output.json(response))
                    return
                }
                if let key = response.apiKey { try Output.printRecord(key, json: false) }
                print("")
                print("secret  \(response.secret)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List API keys, never their secrets (AdminService.ListApiKeys)."
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: Users.tenantHelp)
        var tenant: String?

        @Option(help: "Only the keys of this user id.")
        var user: String?

        @Flag(help: "Include revoked keys.")
        var includeRevoked = false

        @OptionGroup var page: PageOptions

        func run() async throws {
            try await global.withClient { client in
                let admin = AdminServiceClient(client)
                let result = try await page.collect { token in
                    let response = try await admin.listApiKeys(
                        ListApiKeysRequest(
                            tenantId: tenant ?? "",
                            userId: user ?? "",
                            includeRevoked: includeRevoked,
                            pageSize: page.pageSize ?? 0,
                            pageToken: token
                        ),
                        options: global.callOptions
                    )
                    return (response.apiKeys, response.nextPageToken)
                }
                if global.json {
                    print(try Output.json(ListApiKeysResponse(apiKeys: result.items, nextPageToken: result.nextPageToken)))
                } else {
                    Keys.printTable(result.items)
                }
                PageOptions.noteMore(result.nextPageToken, json: global.json)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API key, effective immediately (AdminService.RevokeApiKey).",
            discussion: "Revoking a revoked key changes nothing and succeeds."
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The key id (key_…), as 'keys list' shows it.")
        var id: String

        @Option(help: Users.tenantHelp)
        var tenant: String?

        func run() async throws {
            try await global.withClient { client in
                let key = try await AdminServiceClient(client).revokeApiKey(
                    RevokeApiKeyRequest(tenantId: tenant ?? "", id: id),
                    options: global.callOptions
                )
                try Output.printRecord(key, json: global.json)
            }
        }
    }
}
