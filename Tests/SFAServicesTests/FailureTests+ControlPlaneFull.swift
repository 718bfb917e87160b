import Foundation
import GRDB
import SFAClient
import SFAStubs
import Testing

/// A full disk under the control plane (`control.sqlite`).
extension FailureTests {
    /// `control.sqlite` is moved to a 2 MiB tmpfs (SQLite follows the symbolic link left
    /// in its place, and keeps its WAL beside the file), which is then filled: writes of
    /// tenants, users and keys get RESOURCE_EXHAUSTED `STORAGE_FULL`; calls on existing
    /// keys go on, the first use of a key among them (whose last use cannot be
    /// recorded); once space is freed the writes succeed and the file passes
    /// `integrity_check` with exactly the acknowledged writes. Mounting needs root (CI
    /// runs as root); elsewhere the test says so and passes.
    @Test(.timeLimit(.minutes(3))) func aFullDiskUnderTheControlPlaneFailsItsWritesButNotCallsOnExistingKeys() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: builtExecutable("sfad")), "build sfad first: swift build")
        let directory = NSTemporaryDirectory() + "sfa-control-full-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let small = directory + "/small"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        let mount = try await runShell("mount -t tmpfs -o size=2m sfa-test-control-full '\(small)'", seconds: 30)
        guard mount.status == 0 else {
            print("skipped: cannot mount a small tmpfs (\(mount.error.trimmingCharacters(in: .whitespacesAndNewlines))); run as root")
            return
        }
        do {
            try await fillTheDiskUnderTheControlPlane(data: directory + "/data", small: small, log: directory + "/sfad.log")
        } catch {
            _ = try? await runShell("umount -l '\(small)'")
            throw error
        }
        _ = try await runShell("umount -l '\(small)'")
    }

    private func fillTheDiskUnderTheControlPlane(data: String, small: String, log: String) async throws {
        let first = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: data)
        defer { first.stop() }
        let operatorKey = try #require(first.operatorKey)
        // The tenant's marketing key is not used before the disk is full: its first use
        // is then due to be recorded, and that write fails.
        let tenant = try await SfadTenant.make("Tenant", port: first.port, operatorKey: operatorKey)
        first.stop()
        let file = data + "/control.sqlite"
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: file + suffix) {
            try FileManager.default.moveItem(atPath: file + suffix, toPath: small + "/control.sqlite" + suffix)
        }
        try FileManager.default.moveItem(atPath: file, toPath: small + "/control.sqlite")
        try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: small + "/control.sqlite")

        let second = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: data, logFile: log)
        defer { second.stop() }
        let operatorAdmin = AdminServiceClient(SfadTenant.client(port: second.port, key: operatorKey))
        let before = try await operatorAdmin.listTenants(ListTenantsRequest()).tenants.map(\.id)
        let user = try #require(try await operatorAdmin.listUsers(ListUsersRequest(tenantId: tenant.id)).users.first)
        _ = try await runShell("dd if=/dev/zero of='\(small)/filler' bs=64k", seconds: 30)

        // Calls on existing keys go on: reads of the control plane, and the tenant's own
        // writes (its file is on another disk). The first one, with a last use to record,
        // comes first: a write that failed leaves the WAL frames it wrote on the disk,
        // where a smaller write may then fit.
        let leads = tenant.leads(port: second.port)
        _ = try await leads.createLead(CreateLeadRequest(lead: Lead(lastName: "During", email: "during@tenant.example", companyName: "Co", source: .referral)))
        #expect(try await leads.listLeads(ListLeadsRequest()).leads.map(\.lastName) == ["During"])
        #expect(try await operatorAdmin.listTenants(ListTenantsRequest()).tenants.map(\.id) == before)
        // Recording the key's use fails in the background (`KeyUseRecorder`), logged.
        var unrecorded = false
        for _ in 0..<500 where !unrecorded {
            unrecorded = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("could not record the last use of API keys")
            if !unrecorded { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(unrecorded, "the key's first use was recorded: the disk was not full")
        let writes: [(String, () async throws -> Void)] = [
            ("CreateTenant", { _ = try await operatorAdmin.createTenant(CreateTenantRequest(tenant: Tenant(name: "Refused"))) }),
            ("CreateUser", {
                _ = try await operatorAdmin.createUser(
                    CreateUserRequest(tenantId: tenant.id, user: User(displayName: "Refused", email: "refused@tenant.example", role: .rep))
                )
            }),
            ("IssueApiKey", { _ = try await operatorAdmin.issueApiKey(IssueApiKeyRequest(tenantId: tenant.id, userId: user.id)) }),
            ("SetTenantLimits", {
                _ = try await operatorAdmin.setTenantLimits(SetTenantLimitsRequest(tenantId: tenant.id, overrides: CallLimits(tenantCallsPerSecond: 5)))
            }),
        ]
        for (method, write) in writes {
            let error = await #expect(throws: RPCError.self, "\(method)") { try await write() }
            #expect(error?.code == .resourceExhausted, "\(method)")
            #expect(error?.details.reason == "STORAGE_FULL", "\(method)")
        }
        #expect(try await HealthServiceClient(RPCClient(configuration: ClientConfiguration(port: second.port, retry: .none))).check(HealthCheckRequest()).status == .serving)

        try FileManager.default.removeItem(atPath: small + "/filler")
        let made = try await operatorAdmin.createTenant(CreateTenantRequest(tenant: Tenant(name: "After")))
        #expect(second.process.isRunning)
        second.stop()
        #expect(!((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("maps to no status"))
        let queue = try DatabaseQueue(path: file)
        #expect(try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try await queue.read { db in try String.fetchAll(db, sql: "SELECT id FROM tenant ORDER BY id") } == (before + [made.id]).sorted())
        #expect(try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tenant_limits") } == 0)
        #expect(try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM user WHERE email = 'refused@tenant.example'") } == 0)
        // The operator's key, the bootstrap key and the marketing key: no fourth.
        #expect(try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM api_key") } == 3)
        try queue.close()
    }
}
