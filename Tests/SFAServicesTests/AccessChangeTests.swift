import Foundation
import SFAStorage
import SFAStubs
import Testing

@testable import SFAServices

/// Changes of access apply to the very next call of a key whose credential the server
/// has cached, and to no other key, over the real server.
@Suite struct AccessChangeTests {
    @Test func aRevokedKeyIsRefusedOnItsNextCallWhileOtherKeysGoOn() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Revoke")
            let rep = try await usedAndCached(tenant.keys[.rep]!, stack)
            let manager = try await usedAndCached(tenant.keys[.manager]!, stack)
            _ = try await stack.admin(tenant.keys[.admin]).revokeApiKey(
                RevokeApiKeyRequest(id: keyID(tenant.keys[.rep]!))
            )
            #expect(await statusOf { try await rep.listLeads(ListLeadsRequest()) } == .unauthenticated)
            _ = try await manager.listLeads(ListLeadsRequest())
        }
    }

    @Test func aDeactivatedUsersKeyIsRefusedOnItsNextCallWhileOtherKeysGoOn() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Deactivate")
            let rep = try await usedAndCached(tenant.keys[.rep]!, stack)
            let manager = try await usedAndCached(tenant.keys[.manager]!, stack)
            let user = tenant.users[.rep]!
            _ = try await stack.admin(tenant.keys[.admin]).deactivateUser(
                DeactivateUserRequest(id: user.id, version: user.version)
            )
            #expect(await statusOf { try await rep.listLeads(ListLeadsRequest()) } == .unauthenticated)
            _ = try await manager.listLeads(ListLeadsRequest())
        }
    }

    @Test func aRepMadeViewerCannotCreateLeadsFromItsNextCallWhileOtherKeysGoOn() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Demote")
            let rep = try await usedAndCached(tenant.keys[.rep]!, stack)
            let manager = try await usedAndCached(tenant.keys[.manager]!, stack)
            _ = try await rep.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("before")))
            var user = tenant.users[.rep]!
            user.role = .viewer
            _ = try await stack.admin(tenant.keys[.admin]).updateUser(
                UpdateUserRequest(user: user, updateMask: ["role"])
            )
            #expect(
                await statusOf {
                    try await rep.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("after")))
                } == .permissionDenied
            )
            _ = try await manager.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("manager")))
        }
    }

    @Test func aSuspendedTenantsKeysAreRefusedOnTheirNextCallWhileOtherTenantsGoOn() async throws {
        try await withStack { stack in
            let alpha = try await stack.makeTenant("Alpha")
            let beta = try await stack.makeTenant("Beta")
            let alphaRep = try await usedAndCached(alpha.keys[.rep]!, stack)
            let betaRep = try await usedAndCached(beta.keys[.rep]!, stack)
            let operatorAdmin = stack.admin(stack.operatorKey)
            let suspended = try await operatorAdmin.suspendTenant(
                SuspendTenantRequest(tenantId: alpha.tenant.id, version: alpha.tenant.version, reason: "unpaid invoice")
            )
            #expect(await statusOf { try await alphaRep.listLeads(ListLeadsRequest()) } == .permissionDenied)
            _ = try await betaRep.listLeads(ListLeadsRequest())
            _ = try await operatorAdmin.resumeTenant(
                ResumeTenantRequest(tenantId: alpha.tenant.id, version: suspended.version)
            )
            _ = try await alphaRep.listLeads(ListLeadsRequest())
        }
    }

    @Test func aCachedKeyIsRefusedOnItsFirstCallAfterItExpires() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Expire")
            // Long enough for the first calls to finish on a loaded machine.
            let expiry = ControlPlane.nowMs() + 15_000
            let token = try await stack.admin(tenant.keys[.admin])
                .issueApiKey(IssueApiKeyRequest(userId: tenant.users[.rep]!.id, expireTimeMs: expiry)).secret
            let expiring = try await usedAndCached(token, stack)
            let manager = try await usedAndCached(tenant.keys[.manager]!, stack)
            try await Task.sleep(for: .milliseconds(max(0, expiry - ControlPlane.nowMs()) + 50))
            #expect(await statusOf { try await expiring.listLeads(ListLeadsRequest()) } == .unauthenticated)
            // Refused from the cache, by the clock: nothing changed in the control plane.
            #expect(isCached(token, stack))
            _ = try await manager.listLeads(ListLeadsRequest())
        }
    }

    // MARK: Helpers

    /// A lead client with `token`, after a first call that cached its credential.
    private func usedAndCached(_ token: String, _ stack: TestStack) async throws -> LeadServiceClient {
        let client = stack.leads(token)
        _ = try await client.listLeads(ListLeadsRequest())
        #expect(isCached(token, stack), "the first call did not cache the key")
        return client
    }

    /// Whether the server holds a current credential of `token` in memory.
    private func isCached(_ token: String, _ stack: TestStack) -> Bool {
        stack.gate.credentials.credential(keyID: keyID(token), generation: stack.controlPlane.accessGeneration) != nil
    }

    private func keyID(_ token: String) -> String { APIKey.parse(authorization: "Bearer " + token)?.keyID ?? "" }
}

/// A manager's team scope is kept between calls, and follows team changes at once.
@Suite struct TeamScopeChangeTests {
    @Test func aRepLeavingAndRejoiningTheTeamChangesWhatTheManagerSeesOnTheNextCall() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Teams")
            let rep = stack.leads(tenant.keys[.rep])
            let manager = stack.leads(tenant.keys[.manager])
            let admin = stack.admin(tenant.keys[.admin])
            let lead = try #require(try await rep.createLead(
                CreateLeadRequest(lead: Lead(lastName: "Mori", email: "mori@example.jp", companyName: "Mori KK", source: .referral))
            ).lead)
            // Twice, so the second answer comes from the kept scope.
            #expect(try await manager.listLeads(ListLeadsRequest()).leads.map(\.id) == [lead.id])
            #expect(try await manager.getLead(GetLeadRequest(id: lead.id)).id == lead.id)

            let repUser = tenant.users[.rep]!
            let moved = try await admin.updateUser(UpdateUserRequest(user: User(id: repUser.id, version: repUser.version, teamId: "t2"), updateMask: ["team_id"]))
            #expect(try await manager.listLeads(ListLeadsRequest()).leads.isEmpty)
            #expect(await statusOf { try await manager.getLead(GetLeadRequest(id: lead.id)) } == .notFound)

            _ = try await admin.updateUser(UpdateUserRequest(user: User(id: repUser.id, version: moved.version, teamId: "t1"), updateMask: ["team_id"]))
            #expect(try await manager.getLead(GetLeadRequest(id: lead.id)).id == lead.id)
        }
    }
}
