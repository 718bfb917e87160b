import SFAStubs

extension PermissionTable {
    /// The roles, in the order the role table lists them.
    static let documentedRoles: [(role: Role, title: String)] = [
        (.admin, "admin"), (.manager, "manager"), (.rep, "rep"), (.marketing, "marketing"),
        (.insideSales, "inside sales"), (.partner, "partner"), (.viewer, "viewer"), (.operator, "operator"),
    ]

    /// `docs/roles.md`: every method of the API and each role's scope on it, written
    /// from ``grants`` by `scripts/generate` (through `sfa-roles`) so that it cannot
    /// drift; `scripts/test` fails when the committed file differs.
    public static func markdown() -> String {
        var text = """
            # Roles and what they may call

            Generated from `Sources/SFAServices/Authorization/PermissionTable.swift` by
            `scripts/generate`; do not edit. A key may ask the server for its own list:
            `ReflectionService.ListAllowedMethods`.

            Each cell is the role's scope on the method: **all** (every record of the tenant;
            for operators every tenant), **team** (records owned by the caller, the users it
            manages or the users of its team, and records with no owner: the lead routing
            queue), **own** (records the caller owns; for partners,
            records its key's user created), or — (PERMISSION_DENIED). Besides the table:

            - a key issued with the viewer role for a user of another role (a *narrowed* key)
              may call only what both roles may, with the narrower of the two scopes;
            - a key an operator issued for a tenant (a *bootstrap* key) reaches only
              AdminService (but not ExportTenant: business data), HealthService and
              ReflectionService;
            - `HealthService.Check` without any key is admitted (load balancers).
            - `ChangeService.ListChanges` shows each kind of record with the caller's scope
              on that kind's list (`ListLeads`, `ListAccounts`, …), per list: its row says
              who may call it, not which records each change shows.

            """
        let header = "| method | " + documentedRoles.map(\.title).joined(separator: " | ") + " |"
        let rule = "| --- |" + String(repeating: " :---: |", count: documentedRoles.count)
        let byService = Dictionary(grouping: grants.keys) { method in
            String(method.dropFirst().prefix { $0 != "/" })
        }
        for service in byService.keys.sorted() {
            text += "\n## \(service)\n\n\(header)\n\(rule)\n"
            for method in byService[service]!.sorted() {
                let name = method.split(separator: "/").last.map(String.init) ?? method
                let cells = documentedRoles.map { grants[method]?[$0.role].map(describe) ?? "—" }
                text += "| \(name) | " + cells.joined(separator: " | ") + " |\n"
            }
        }
        return text
    }

    private static func describe(_ scope: RecordScope) -> String {
        switch scope {
        case .all: "all"
        case .team: "team"
        case .own: "own"
        }
    }
}
