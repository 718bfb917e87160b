import Foundation
import SFAStorage
import SFAStubs
import Testing

@testable import SFAServices

/// The gate's cache of credentials and the control plane's access generation that
/// invalidates it, without the network.
@Suite struct CredentialCacheTests {
    @Test func everyChangeToTenantsUsersOrKeysMovesTheAccessGenerationAndRecordingALastUseDoesNot() async throws {
        try await withControlPlane { controlPlane in
            let tenant = try await expectMoves("createTenant", controlPlane) {
                try await controlPlane.createTenant(name: "Gen", createdBy: "test", schemaVersion: 1)
            }
            try await expectMoves("setTenantSchemaVersion", controlPlane) {
                try await controlPlane.setTenantSchemaVersion(tenant.id, 2)
            }
            let user = try await makeUser(controlPlane, tenantID: tenant.id, email: "rep@gen.example")
            let keyID = try await makeKey(controlPlane, user: user)
            try await expectMoves("updateUser", controlPlane) {
                _ = try await controlPlane.updateUser(user.id, tenantID: tenant.id, expectedVersion: user.version) {
                    $0.teamID = "t2"
                }
            }
            try await expectStays("touchKeys", controlPlane) {
                try await controlPlane.touchKeys([keyID: ControlPlane.nowMs()])
            }
            try await expectStays("insertBackup", controlPlane) {
                try await controlPlane.insertBackup(
                    TenantBackupRow(
                        id: RecordID.make("bak"),
                        tenantID: tenant.id,
                        fileName: "b.sqlite",
                        sizeBytes: 1,
                        sha256: "",
                        schemaVersion: 1
                    )
                )
            }
            try await expectMoves("revokeKey", controlPlane) {
                _ = try await controlPlane.revokeKey(keyID, tenantID: tenant.id)
            }
            let current = try await controlPlane.user(user.id, tenantID: tenant.id)
            try await expectMoves("deactivateUser", controlPlane) {
                _ = try await controlPlane.deactivateUser(
                    user.id,
                    tenantID: tenant.id,
                    expectedVersion: current.version
                )
            }
            try await expectMoves("setTenantStatus", controlPlane) {
                _ = try await controlPlane.setTenantStatus(
                    tenant.id,
                    expectedVersion: tenant.version,
                    status: .suspended,
                    reason: "test"
                )
            }
        }
    }

    @Test func aCredentialReadWhileAChangeCommitsIsNeverTakenForCurrent() async throws {
        try await withControlPlane { controlPlane in
            let tenant = try await controlPlane.createTenant(name: "Race", createdBy: "test", schemaVersion: 1)
            let user = try await makeUser(controlPlane, tenantID: tenant.id, email: "rep@race.example")
            let keyID = try await makeKey(controlPlane, user: user)
            let cache = CredentialCache(capacity: 10)

            // A call loads the generation and reads the key; the key is revoked before
            // the call gets to store what it read.
            let loaded = controlPlane.accessGeneration
            let beforeRevocation = try #require(try await controlPlane.credential(keyID: keyID))
            _ = try await controlPlane.revokeKey(keyID, tenantID: tenant.id)
            cache.store(beforeRevocation, keyID: keyID, generation: loaded)
            #expect(cache.credential(keyID: keyID, generation: controlPlane.accessGeneration) == nil)

            // The next call reads again, and what it stores is current.
            let reloaded = controlPlane.accessGeneration
            cache.store(
                try #require(try await controlPlane.credential(keyID: keyID)),
                keyID: keyID,
                generation: reloaded
            )
            #expect(cache.credential(keyID: keyID, generation: controlPlane.accessGeneration)?.key.revokeTimeMs != 0)

            // A slow call storing its read from before the change does not replace it.
            cache.store(beforeRevocation, keyID: keyID, generation: loaded)
            #expect(cache.credential(keyID: keyID, generation: controlPlane.accessGeneration)?.key.revokeTimeMs != 0)
        }
    }

    @Test func theCacheKeepsAtMostItsCapacityDroppingStaleEntriesFirst() async throws {
        try await withControlPlane { controlPlane in
            let tenant = try await controlPlane.createTenant(name: "Cap", createdBy: "test", schemaVersion: 1)
            let user = try await makeUser(controlPlane, tenantID: tenant.id, email: "rep@cap.example")
            let credential = try #require(
                try await controlPlane.credential(keyID: try await makeKey(controlPlane, user: user))
            )
            let cache = CredentialCache(capacity: 3)
            cache.store(credential, keyID: "old-a", generation: 1)
            cache.store(credential, keyID: "old-b", generation: 1)
            cache.store(credential, keyID: "current-a", generation: 2)
            cache.store(credential, keyID: "current-b", generation: 2)
            #expect(cache.count == 2, "the stale entries go first")
            #expect(cache.credential(keyID: "current-a", generation: 2) != nil)
            for index in 0..<10 {
                cache.store(credential, keyID: "current-\(index)", generation: 2)
                #expect(cache.count <= 3)
            }
        }
    }

    @Test func aKeysLastUseIsDueOnceAMinuteAndClaimedByOneCall() async throws {
        try await withControlPlane { controlPlane in
            let tenant = try await controlPlane.createTenant(name: "Touch", createdBy: "test", schemaVersion: 1)
            let user = try await makeUser(controlPlane, tenantID: tenant.id, email: "rep@touch.example")
            let keyID = try await makeKey(controlPlane, user: user)
            let cache = CredentialCache(capacity: 10)
            cache.store(try #require(try await controlPlane.credential(keyID: keyID)), keyID: keyID, generation: 0)
            let now = ControlPlane.nowMs()
            #expect(cache.claimTouch(keyID: keyID, recordedMs: 0, nowMs: now, intervalMs: 60_000))
            #expect(
                !cache.claimTouch(keyID: keyID, recordedMs: 0, nowMs: now + 1, intervalMs: 60_000),
                "claimed already"
            )
            #expect(cache.claimTouch(keyID: keyID, recordedMs: 0, nowMs: now + 60_001, intervalMs: 60_000))
            // A key without an entry goes by the stored time.
            #expect(!cache.claimTouch(keyID: "key_other", recordedMs: now, nowMs: now + 1, intervalMs: 60_000))
        }
    }

    @Test func unknownKeysAndWrongSecretsAreNotCached() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Flood")
            let method = LeadServiceMethods.listLeads.fullName
            let before = stack.gate.credentials.count
            for _ in 0..<200 {
                let token = "sfa_\(RecordID.make("key"))_" + String(repeating: "0", count: 64)
                await #expect(throws: RPCError.self) {
                    try await stack.gate.admit(method: method, authorization: "Bearer " + token, certificateTenants: nil)
                }
            }
            var forged = tenant.keys[.rep]!
            forged.replaceSubrange(forged.index(forged.endIndex, offsetBy: -4)..., with: "0000")
            await #expect(throws: RPCError.self) {
                try await stack.gate.admit(method: method, authorization: "Bearer " + forged, certificateTenants: nil)
            }
            #expect(stack.gate.credentials.count == before)
            let principal = try await stack.gate.admit(method: method, authorization: "Bearer " + tenant.keys[.rep]!, certificateTenants: nil)
            #expect(principal.role == .rep)
            #expect(stack.gate.credentials.count == before + 1)
        }
    }

    // MARK: Helpers

    private func withControlPlane(_ body: (ControlPlane) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "sfa-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(try ControlPlane(storage: StorageConfiguration(dataDirectory: directory)))
    }

    private func makeUser(_ controlPlane: ControlPlane, tenantID: String, email: String) async throws -> UserRow {
        let user = UserRow.make(
            tenantID: tenantID,
            displayName: "Rep",
            email: email,
            role: .rep,
            teamID: "",
            managerUserID: "",
            createdBy: "test"
        )
        try await controlPlane.createUser(user)
        return user
    }

    /// Issues a key for `user`; returns its id.
    private func makeKey(_ controlPlane: ControlPlane, user: UserRow) async throws -> String {
        let keyID = RecordID.make("key")
        let issued = APIKey.issue(keyID: keyID)
        try await controlPlane.insertKey(
            APIKeyRow.make(
                id: keyID,
                tenantID: user.tenantID,
                userID: user.id,
                role: .rep,
                displayName: "k",
                keyPrefix: issued.prefix,
                secretHash: issued.hash,
                expireTimeMs: 0,
                createdBy: "test"
            )
        )
        return keyID
    }

    @discardableResult
    private func expectMoves<T>(
        _ change: String,
        _ controlPlane: ControlPlane,
        _ body: () async throws -> T
    ) async throws -> T {
        let before = controlPlane.accessGeneration
        let result = try await body()
        #expect(controlPlane.accessGeneration != before, "\(change) left the access generation alone")
        return result
    }

    private func expectStays(_ change: String, _ controlPlane: ControlPlane, _ body: () async throws -> Void)
        async throws
    {
        let before = controlPlane.accessGeneration
        try await body()
        #expect(controlPlane.accessGeneration == before, "\(change) moved the access generation")
    }
}
