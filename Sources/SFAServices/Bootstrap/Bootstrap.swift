import Foundation
public import SFAStorage
public import SFAStubs

/// What a new data directory needs: the first operator, and on request a demo tenant.
public enum Bootstrap {
    /// A user created with a key, as printed for the person starting the server.
    public struct IssuedCredential: Sendable {
        public var role: Role
        public var email: String
        public var userID: String
        public var apiKey: String
    }

    /// Creates the first operator and its key if there is no operator yet.
    /// - Returns: the new key (to be shown once), or nil when an operator existed.
    public static func ensureOperator(_ controlPlane: ControlPlane) async throws -> IssuedCredential? {
        guard try await !controlPlane.hasOperator() else { return nil }
        let user = UserRow.make(
            tenantID: nil,
            displayName: "Operator",
            email: "operator@localhost",
            role: .operator,
            teamID: "",
            managerUserID: "",
            createdBy: "bootstrap"
        )
        try await controlPlane.createUser(user)
        let token = try await issueKey(controlPlane, user: user, name: "first operator key")
        return IssuedCredential(role: .operator, email: user.email, userID: user.id, apiKey: token)
    }

    /// Creates a demo tenant with one user and key per tenant role (a manager leading
    /// the sales team) and sample accounts, contacts and leads at several stages of
    /// the funnel, unless a tenant with `name` exists already.
    /// - Returns: the tenant id and the credentials, or nil when the tenant existed.
    public static func createDemoTenant(
        _ controlPlane: ControlPlane,
        tenants: TenantDatabases,
        name: String = "Demo Company"
    ) async throws -> (tenantID: String, credentials: [IssuedCredential])? {
        let existing = try await controlPlane.listTenants(
            page: try PageRequest(pageSize: 500, pageToken: "", filter: "demo"),
            statuses: [TenantStatus.active.rawValue],
            query: name
        )
        guard !existing.contains(where: { $0.name == name }) else { return nil }
        let tenant = try await controlPlane.createTenant(name: name, createdBy: "bootstrap", schemaVersion: TenantSchema.currentVersion)
        try await tenants.withDatabase(tenant.id) { _ in }  // create and migrate its file now
        let people: [(Role, String, String)] = [
            (.admin, "Aiko Admin", "admin"), (.manager, "Min-jun Manager", "manager"), (.rep, "Riku Rep", "rep"),
            (.marketing, "Mina Marketing", "marketing"), (.insideSales, "Ines InsideSales", "inside.sales"),
            (.partner, "Partner Web Forms", "partner"), (.viewer, "Vera Viewer", "viewer"),
        ]
        var credentials: [IssuedCredential] = []
        var userIDs: [Role: String] = [:]
        var managerID = ""
        for (role, displayName, local) in people {
            let inSalesTeam = [.rep, .insideSales].contains(role)
            let user = UserRow.make(
                tenantID: tenant.id,
                displayName: displayName,
                email: "\(local)@demo.example",
                role: role,
                teamID: role == .manager || inSalesTeam ? "team-sales" : "",
                managerUserID: inSalesTeam ? managerID : "",
                createdBy: "bootstrap"
            )
            try await controlPlane.createUser(user)
            if role == .manager { managerID = user.id }
            userIDs[role] = user.id
            let token = try await issueKey(controlPlane, user: user, name: "demo \(role) key")
            credentials.append(IssuedCredential(role: role, email: user.email, userID: user.id, apiKey: token))
        }
        try await DemoData(controlPlane: controlPlane, tenants: tenants, tenantID: tenant.id, users: userIDs).create()
        return (tenant.id, credentials)
    }

    private static func issueKey(_ controlPlane: ControlPlane, user: UserRow, name: String) async throws -> String {
        let keyID = RecordID.make("key")
        let issued = APIKey.issue(keyID: keyID)
        try await controlPlane.insertKey(
            APIKeyRow.make(
                id: keyID,
                tenantID: user.tenantID,
                userID: user.id,
                role: Role(rawValue: user.role),
                displayName: name,
                keyPrefix: issued.prefix,
                secretHash: issued.hash,
                expireTimeMs: 0,
                createdBy: "bootstrap"
            )
        )
        return issued.token
    }

    /// Writes credentials to `path`, readable by its owner only (0600).
    public static func writeCredentials(_ credentials: [IssuedCredential], tenantID: String, to path: String) throws {
        var text = "# SalesWire demo tenant \(tenantID): one API key per role. Keep this file secret.\n"
        for credential in credentials {
            text += "\(credential.role)\t\(credential.email)\t\(credential.apiKey)\n"
        }
        try writeSecretFile(text, to: path)
    }

    /// Writes `text` to a new file only its owner may read or write (mode 0600 from
    /// its creation, whatever the umask: never readable by others, even for a moment).
    /// A file left by an earlier data directory is replaced.
    /// - Throws: when the file cannot be written.
    public static func writeSecretFile(_ text: String, to path: String) throws {
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StorageError.failedPrecondition(reason: "WRITE_FAILED", message: "cannot create \(path) (errno \(errno))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
        } catch {
            throw StorageError.failedPrecondition(reason: "WRITE_FAILED", message: "cannot write \(path)")
        }
    }
}
