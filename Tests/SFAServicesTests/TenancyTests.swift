import Foundation
import GRDB
import SFAServices
import SFAStorage
import SFAStubs
import Testing

/// Tenant isolation, keys and tenant status, over the real server and client.
@Suite struct TenancyTests {
    @Test func anotherTenantsIDsAreNotFoundAndChangeNothing() async throws {
        try await withStack { stack in
            let a = try await stack.makeTenant("Alpha")
            let b = try await stack.makeTenant("Bravo")
            let adminA = stack.admin(a.keys[.admin])
            let bUser = b.users[.rep]!
            let bKeys = try await stack.admin(b.keys[.admin]).listApiKeys(ListApiKeysRequest())
            let bKeyID = bKeys.apiKeys.first!.id

            // Tenant A's admin names tenant B, or B's record ids: NOT_FOUND every time.
            let calls: [(String, () async throws -> Any)] = [
                ("GetUser", { try await adminA.getUser(GetUserRequest(id: bUser.id)) }),
                ("GetUser with B's tenant id", { try await adminA.getUser(GetUserRequest(tenantId: b.tenant.id, id: bUser.id)) }),
                ("UpdateUser", {
                    try await adminA.updateUser(
                        UpdateUserRequest(user: User(id: bUser.id, version: bUser.version, displayName: "x"), updateMask: ["display_name"])
                    )
                }),
                ("DeactivateUser", { try await adminA.deactivateUser(DeactivateUserRequest(id: bUser.id, version: bUser.version)) }),
                ("RevokeApiKey", { try await adminA.revokeApiKey(RevokeApiKeyRequest(id: bKeyID)) }),
                ("IssueApiKey", { try await adminA.issueApiKey(IssueApiKeyRequest(userId: bUser.id)) }),
                ("ListUsers of B", { try await adminA.listUsers(ListUsersRequest(tenantId: b.tenant.id)) }),
                ("ListApiKeys of B", { try await adminA.listApiKeys(ListApiKeysRequest(tenantId: b.tenant.id)) }),
                ("GetTenantStats of B", { try await adminA.getTenantStats(GetTenantStatsRequest(tenantId: b.tenant.id)) }),
            ]
            for (name, call) in calls {
                #expect(await statusOf(call) == .notFound, "\(name)")
            }
            // B is unchanged: its user, its keys.
            let after = try await stack.admin(b.keys[.admin]).getUser(GetUserRequest(id: bUser.id))
            #expect(after == bUser)
            let keysAfter = try await stack.admin(b.keys[.admin]).listApiKeys(ListApiKeysRequest())
            // Last uses are recorded in the background, after the call that made them.
            let withoutLastUse = { (keys: ListApiKeysResponse) in keys.apiKeys.map { key in var key = key; key.lastUsedTimeMs = 0; return key } }
            #expect(withoutLastUse(keysAfter) == withoutLastUse(bKeys))
            // A's own lists hold only A's records.
            let aUsers = try await adminA.listUsers(ListUsersRequest()).users
            #expect(aUsers.count == 7)
            #expect(aUsers.allSatisfy { $0.tenantId == a.tenant.id })
        }
    }

    @Test func hostileTenantIDsNeverReachTheFilesystem() async throws {
        try await withStack { stack in
            let operatorAdmin = stack.admin(stack.operatorKey)
            let hostile = ["../control", "ten_../../etc", "a/b", "ten_\u{0}x", String(repeating: "x", count: 10_000), "ten_", "/tmp/x", ".."]
            for id in hostile {
                #expect(await statusOf { try await operatorAdmin.backupTenant(BackupTenantRequest(tenantId: id)) } == .notFound, "\(id.prefix(20))")
                #expect(await statusOf { try await operatorAdmin.getTenantStats(GetTenantStatsRequest(tenantId: id)) } == .notFound)
                await #expect(throws: StorageError.self) { try await stack.tenants.withDatabase(id) { _ in } }
            }
            let files = try FileManager.default.contentsOfDirectory(atPath: stack.storage.tenantsDirectory)
            #expect(files.isEmpty, "files appeared: \(files)")
            #expect(!FileManager.default.fileExists(atPath: stack.directory + "/control.sqlite.sqlite"))
        }
    }

    @Test func missingBadRevokedAndExpiredKeysAreRefused() async throws {
        try await withStack { stack in
            let a = try await stack.makeTenant("Alpha")
            #expect(await statusOf { try await stack.admin(nil).listUsers(ListUsersRequest()) } == .unauthenticated)
            #expect(await statusOf { try await stack.admin("Bearer nonsense").listUsers(ListUsersRequest()) } == .unauthenticated)
            var forged = a.keys[.admin]!
            forged.replaceSubrange(forged.index(forged.endIndex, offsetBy: -4)..., with: "0000")
            #expect(await statusOf { try await stack.admin(forged).listUsers(ListUsersRequest()) } == .unauthenticated)

            let admin = stack.admin(a.keys[.admin])
            let rep = a.users[.rep]!
            let issued = try await admin.issueApiKey(IssueApiKeyRequest(userId: rep.id))
            #expect(issued.apiKey?.role == .rep)
            let repAdmin = stack.admin(issued.secret)
            #expect(try await repAdmin.getUser(GetUserRequest(id: rep.id)).id == rep.id)
            _ = try await admin.revokeApiKey(RevokeApiKeyRequest(id: issued.apiKey!.id))
            #expect(await statusOf { try await repAdmin.getUser(GetUserRequest(id: rep.id)) } == .unauthenticated)

            // Long enough to be used once on a loaded machine; the wait is to the instant itself.
            let expiry = Int64(Date().timeIntervalSince1970 * 1000) + 15_000
            let shortLived = try await admin.issueApiKey(IssueApiKeyRequest(userId: rep.id, expireTimeMs: expiry))
            let expiring = stack.admin(shortLived.secret)
            _ = try await expiring.getUser(GetUserRequest(id: rep.id))
            let left = expiry + 200 - Int64(Date().timeIntervalSince1970 * 1000)
            if left > 0 { try await Task.sleep(for: .milliseconds(left)) }
            #expect(await statusOf { try await expiring.getUser(GetUserRequest(id: rep.id)) } == .unauthenticated)

            // A key may narrow its user's role to viewer, never widen it.
            #expect(await statusOf { try await admin.issueApiKey(IssueApiKeyRequest(userId: rep.id, role: .admin)) } == .invalidArgument)

            // Keys are stored as hashes only.
            let stored = try await stack.controlPlane.key(issued.apiKey!.id)!
            #expect(stored.secretHash.count == 32)
            let secretPart = String(issued.secret.split(separator: "_").last!)
            #expect(!String(decoding: stored.secretHash, as: UTF8.self).contains(secretPart))
        }
    }

    @Test func deactivatingAUserRevokesItsKeys() async throws {
        try await withStack { stack in
            let a = try await stack.makeTenant("Alpha")
            let admin = stack.admin(a.keys[.admin])
            let rep = a.users[.rep]!
            let repClient = stack.admin(a.keys[.rep])
            _ = try await repClient.getUser(GetUserRequest(id: rep.id))
            _ = try await admin.deactivateUser(DeactivateUserRequest(id: rep.id, version: rep.version))
            #expect(await statusOf { try await repClient.getUser(GetUserRequest(id: rep.id)) } == .unauthenticated)
            let keys = try await admin.listApiKeys(ListApiKeysRequest(userId: rep.id, includeRevoked: true)).apiKeys
            #expect(!keys.isEmpty && keys.allSatisfy(\.revoked))
            // A stale version and self-deactivation are refused.
            let manager = a.users[.manager]!
            #expect(await statusOf { try await admin.deactivateUser(DeactivateUserRequest(id: manager.id, version: 99)) } == .aborted)
            #expect(await statusOf {
                try await admin.deactivateUser(DeactivateUserRequest(id: a.users[.admin]!.id, version: 1))
            } == .failedPrecondition)
        }
    }

    @Test func aSuspendedTenantIsRefusedUntilResumed() async throws {
        try await withStack { stack in
            let a = try await stack.makeTenant("Alpha")
            let operatorAdmin = stack.admin(stack.operatorKey)
            let admin = stack.admin(a.keys[.admin])
            _ = try await admin.listUsers(ListUsersRequest())
            let suspended = try await operatorAdmin.suspendTenant(
                SuspendTenantRequest(tenantId: a.tenant.id, version: a.tenant.version, reason: "unpaid invoice")
            )
            do {
                _ = try await admin.listUsers(ListUsersRequest())
                Issue.record("a suspended tenant's call went through")
            } catch let error as RPCError {
                expectReasons(error)
                #expect(error.code == .permissionDenied)
                #expect(error.details.reason == "TENANT_SUSPENDED")
                #expect(error.message.contains("unpaid invoice"))
            }
            // A stale version is refused.
            #expect(await statusOf {
                try await operatorAdmin.resumeTenant(ResumeTenantRequest(tenantId: a.tenant.id, version: a.tenant.version))
            } == .aborted)
            _ = try await operatorAdmin.resumeTenant(ResumeTenantRequest(tenantId: a.tenant.id, version: suspended.version))
            #expect(try await admin.listUsers(ListUsersRequest()).users.count == 7)
        }
    }

    @Test func theOperatorCannotReadTenantBusinessData() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Alpha")
            let client = stack.client(stack.operatorKey)
            #expect(await statusOf { try await LeadServiceClient(client).listLeads(ListLeadsRequest()) } == .permissionDenied)
            #expect(await statusOf { try await AuditServiceClient(client).listAuditEvents(ListAuditEventsRequest()) } == .permissionDenied)
            // Not through a key it issues either: operator-issued keys only manage users and keys.
            let bootstrap = stack.client(tenant.bootstrapKey)
            do {
                _ = try await LeadServiceClient(bootstrap).listLeads(ListLeadsRequest())
                Issue.record("an operator-issued key read leads")
            } catch let error as RPCError {
                expectReasons(error)
                #expect(error.code == .permissionDenied && error.details.reason == "BOOTSTRAP_KEY")
            }
            #expect(try await stack.admin(tenant.bootstrapKey).listUsers(ListUsersRequest()).users.count == 7)
        }
    }

    @Test func aRoleChangeAppliesToTheUsersKeysAtOnce() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Demotion")
            let manager = tenant.users[.manager]!
            let managerLeads = stack.leads(tenant.keys[.manager])
            _ = try await managerLeads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead()))
            _ = try await stack.admin(tenant.keys[.admin]).updateUser(
                UpdateUserRequest(user: User(id: manager.id, version: manager.version, role: .viewer), updateMask: ["role"])
            )
            #expect(await statusOf { try await managerLeads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("2"))) } == .permissionDenied)
            #expect(try await managerLeads.listLeads(ListLeadsRequest()).leads.count == 1)  // viewers read
        }
    }

    @Test func anUnknownMethodIsUnimplementedOnceAuthenticated() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Unknown")
            let method = MethodDescriptor(service: "sfa.v1.LeadService", method: "NoSuchMethod", inputType: "", outputType: "", isIdempotent: false)
            let client = stack.client(tenant.keys[.admin])
            #expect(await statusOf { try await client.unary(method, request: GetLeadRequest(), responseType: Lead.self, options: CallOptions()) } == .unimplemented)
            #expect(await statusOf {
                try await stack.client(nil).unary(method, request: GetLeadRequest(), responseType: Lead.self, options: CallOptions())
            } == .unauthenticated)
        }
    }

    @Test func theDemoTenantHasAWorkingKeyPerRoleAndSampleRecords() async throws {
        try await withStack { stack in
            let demo = try #require(try await Bootstrap.createDemoTenant(stack.controlPlane, tenants: stack.tenants))
            #expect(try await Bootstrap.createDemoTenant(stack.controlPlane, tenants: stack.tenants) == nil, "created twice")
            #expect(Set(demo.credentials.map(\.role)) == [.admin, .manager, .rep, .marketing, .insideSales, .partner, .viewer])
            let admin = demo.credentials.first { $0.role == .admin }!.apiKey
            #expect(try await stack.admin(admin).listUsers(ListUsersRequest()).users.count == 7)
            let viewer = demo.credentials.first { $0.role == .viewer }!.apiKey
            let leads = try await stack.leads(viewer).listLeads(ListLeadsRequest()).leads
            #expect(leads.count == 8)
            #expect(leads.contains { $0.status == .converted && !$0.convertedOpportunityId.isEmpty })
            #expect(try await stack.accounts(viewer).listAccounts(ListAccountsRequest()).accounts.count == 4)
            // Six deals of the rep plus the converted lead's, one won and one lost.
            let deals = try await stack.opportunities(viewer).listOpportunities(ListOpportunitiesRequest()).opportunities
            #expect(deals.count == 7)
            #expect(deals.map(\.state).filter { $0 == .won }.count == 1)
            #expect(deals.map(\.state).filter { $0 == .lost }.count == 1)
            let path = stack.directory + "/demo-keys.txt"
            try Bootstrap.writeCredentials(demo.credentials, tenantID: demo.tenantID, to: path)
            let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
            #expect(permissions?.intValue == 0o600)
        }
    }

    @Test func auditEventsThatCannotReachTheTenantLogWaitAndArriveLater() async throws {
        try await withStack { stack in
            let a = try await stack.makeTenant("Outbox")
            let admin = stack.admin(a.keys[.admin])
            // Hold the tenant file as a restore would while a user is created.
            let held = try await stack.tenants.withExclusiveFile(a.tenant.id) { _ in
                try await admin.createUser(CreateUserRequest(user: User(displayName: "Held", email: "held@outbox.example", role: .rep)))
            }
            #expect(try await stack.controlPlane.pendingAudit(tenantID: a.tenant.id).map(\.recordId) == [held.id])
            let later = try await admin.createUser(CreateUserRequest(user: User(displayName: "Later", email: "later@outbox.example", role: .rep)))
            #expect(try await stack.controlPlane.pendingAudit(tenantID: a.tenant.id).isEmpty)
            let logged = try await AuditServiceClient(stack.client(a.keys[.admin]))
                .listAuditEvents(ListAuditEventsRequest(pageSize: 500, recordKind: .user)).events.map(\.recordId)
            #expect(logged.contains(held.id) && logged.contains(later.id))
        }
    }

    @Test func everyChangeIsInTheTenantsAppendOnlyAuditLog() async throws {
        try await withStack { stack in
            let a = try await stack.makeTenant("Alpha")
            let events = try await stack.tenants.withDatabase(a.tenant.id) { queue in
                try await queue.read { db in
                    try AuditLog.list(db, page: try PageRequest(pageSize: 100, pageToken: "", filter: ""), recordKind: nil, recordID: "", actorUserID: "", fromTimeMs: 0, toTimeMs: 0)
                }
            }
            // The tenant, 7 users, the bootstrap key and 7 working keys.
            #expect(events.count == 16)
            #expect(events.filter { $0.recordKind == .user && $0.action == .create }.count == 7)
            let created = events.first { $0.recordKind == .user }!
            #expect(created.changes.contains { $0.field == "email" && $0.beforeJson == "null" })
            await #expect(throws: (any Error).self) {
                try await stack.tenants.withDatabase(a.tenant.id) { queue in
                    try await queue.write { db in try db.execute(sql: "DELETE FROM audit_event") }
                }
            }
        }
    }
}
