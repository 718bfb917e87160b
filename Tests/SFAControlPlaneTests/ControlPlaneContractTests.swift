import Foundation
import Logging
import PostgresNIO
@testable import SFAControlPlanePostgres
import SFAMessages
import SFAStorage
import SFATestSupport
import Synchronization
import Testing

/// What every control-plane backend must do alike: the same calls, the same
/// answers and the same refusals, on `control.sqlite` and on PostgreSQL.
@Suite struct ControlPlaneContractTests {
    @Test(arguments: ControlPlaneBackend.available)
    func aTenantIsCreatedOnceWithItsIdempotencyKeyAndAuditEvent(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            let row = TenantRow.make(name: "Acme", createdBy: "user-op", schemaVersion: 1)
            let write = IdempotentWrite(key: "k1", method: "/m", userID: "user-op", requestDigest: [1, 2], response: [9, 9, 9])
            let event = AuditLog.stamped(AuditEvent(recordKind: .tenant, recordId: row.id, action: .create))
            #expect(try await controlPlane.insertTenant(row, placedOn: nil, idempotency: write, audit: event) == nil)
            #expect(try await controlPlane.tenant(row.id) == row)
            #expect(try await controlPlane.pendingAudit(tenantID: row.id).map(\.id) == [event.id])

            // The retry answers the first response and writes nothing.
            let retry = TenantRow.make(name: "Acme", createdBy: "user-op", schemaVersion: 1)
            #expect(try await controlPlane.insertTenant(retry, placedOn: nil, idempotency: write, audit: event) == [9, 9, 9])
            await #expect(throws: StorageError.notFound(kind: "tenant", id: retry.id)) { try await controlPlane.tenant(retry.id) }

            var reused = write
            reused.requestDigest = [3]
            await #expect(throws: StorageError.idempotencyKeyReused) {
                try await controlPlane.insertTenant(retry, placedOn: nil, idempotency: reused, audit: nil)
            }
            try await controlPlane.removeAudit(ids: [event.id])
            #expect(try await controlPlane.pendingAudit(tenantID: row.id).isEmpty)
        }
    }

    @Test(arguments: ControlPlaneBackend.available)
    func concurrentRetriesWithOneIdempotencyKeyCreateOneTenantAndTheOthersReplayIt(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            // Writes at once first, so that PostgreSQL's pool holds a connection per retry below.
            try await withThrowingTaskGroup(of: TenantRow.self) { group in
                for _ in 0..<16 { group.addTask { try await controlPlane.createTenant(name: "Warm", createdBy: "op", schemaVersion: 1) } }
                try await group.waitForAll()
            }
            let write = IdempotentWrite(key: "k-race", method: "/m", userID: "user-op", requestDigest: [4], response: [7, 7])
            let rows = (0..<16).map { _ in TenantRow.make(name: "Race", createdBy: "user-op", schemaVersion: 1) }
            let answers = try await withThrowingTaskGroup(of: (String, [UInt8]?).self) { group in
                for row in rows {
                    group.addTask { (row.id, try await controlPlane.insertTenant(row, placedOn: nil, idempotency: write, audit: nil)) }
                }
                return try await group.reduce(into: [(String, [UInt8]?)]()) { $0.append($1) }
            }
            let written = answers.filter { $0.1 == nil }.map(\.0)
            #expect(written.count == 1)
            #expect(answers.filter { $0.1 == [7, 7] }.count == rows.count - 1)
            let listed = try await controlPlane.listTenants(page: try PageRequest(pageSize: 100, pageToken: "", filter: ""), statuses: [], query: "Race")
            #expect(listed.map(\.id).sorted() == written.sorted())
        }
    }

    @Test(arguments: ControlPlaneBackend.available)
    func tenantsAreListedByPageStatusAndNameAndChangeStatusOnlyAtTheirVersion(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            var made: [TenantRow] = []
            for name in ["North Shop", "South Shop", "East Farm"] {
                made.append(try await controlPlane.createTenant(name: name, createdBy: "op", schemaVersion: 3))
            }
            let first = try PageRequest(pageSize: 2, pageToken: "", filter: "t")
            let page = try await controlPlane.listTenants(page: first, statuses: [], query: "")
            #expect(page.map(\.id) == made.map(\.id).sorted().prefix(2).map { $0 })
            let next = try PageRequest(pageSize: 2, pageToken: first.nextToken(lastID: page.last?.id, count: page.count), filter: "t")
            #expect(try await controlPlane.listTenants(page: next, statuses: [], query: "").map(\.id) == [made.map(\.id).sorted()[2]])
            let all = try PageRequest(pageSize: 10, pageToken: "", filter: "t")
            #expect(Set(try await controlPlane.listTenants(page: all, statuses: [], query: "shop").map(\.name)) == ["North Shop", "South Shop"])

            let suspended = try await controlPlane.setTenantStatus(made[0].id, expectedVersion: 1, status: .suspended, reason: "unpaid")
            #expect(suspended.version == 2 && suspended.status == TenantStatus.suspended.rawValue && suspended.statusReason == "unpaid")
            await #expect(throws: StorageError.staleVersion(kind: "tenant", id: made[0].id, current: 2)) {
                try await controlPlane.setTenantStatus(made[0].id, expectedVersion: 1, status: .active, reason: "")
            }
            #expect(try await controlPlane.listTenants(page: all, statuses: [TenantStatus.suspended.rawValue], query: "").map(\.id) == [made[0].id])
            _ = try await controlPlane.setTenantStatus(made[1].id, expectedVersion: 1, status: .deleted, reason: "deleted")
            #expect(try await controlPlane.liveTenantIDs() == [made[0].id, made[2].id].sorted())
            await #expect(throws: StorageError.notFound(kind: "tenant", id: made[1].id)) {
                try await controlPlane.setTenantStatus(made[1].id, expectedVersion: 2, status: .active, reason: "")
            }

            try await controlPlane.setTenantSchemaVersion(made[2].id, 9)
            #expect(try await controlPlane.tenant(made[2].id).schemaVersion == 9)
            let limits = CallLimits(tenantCallsPerSecond: 5, keyConcurrentCalls: 2)
            #expect(try await controlPlane.tenantLimits(made[2].id) == CallLimits())
            try await controlPlane.setTenantLimits(made[2].id, limits)
            #expect(try await controlPlane.tenantLimits(made[2].id) == limits)
        }
    }

    @Test(arguments: ControlPlaneBackend.available)
    func usersAreUniqueByEmailWithinATenantAndChangeOnlyAtTheirVersion(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            let tenant = try await controlPlane.createTenant(name: "T", createdBy: "op", schemaVersion: 1)
            let other = try await controlPlane.createTenant(name: "U", createdBy: "op", schemaVersion: 1)
            let manager = Self.user(tenant.id, "boss@example.com", role: .manager, team: "north")
            let rep = Self.user(tenant.id, "rep@example.com", role: .rep, team: "north", manager: manager.id)
            let loner = Self.user(tenant.id, "solo@example.com", role: .rep, team: "south")
            for user in [manager, rep, loner] { try await controlPlane.createUser(user) }
            // The same email in another tenant is another user.
            try await controlPlane.createUser(Self.user(other.id, "rep@example.com", role: .rep, team: ""))
            await #expect(throws: StorageError.alreadyExists(kind: "user", field: "email")) {
                try await controlPlane.createUser(Self.user(tenant.id, "rep@example.com", role: .rep, team: ""))
            }
            await #expect(throws: StorageError.notFound(kind: "user", id: rep.id)) { try await controlPlane.user(rep.id, tenantID: other.id) }

            let page = try PageRequest(pageSize: 10, pageToken: "", filter: "u")
            let team = try await controlPlane.listUsers(
                tenantID: tenant.id, scope: .team(userID: manager.id, teamID: "north"), page: page, roles: [], teamID: "",
                includeDeactivated: true, query: ""
            )
            #expect(Set(team.map(\.id)) == [manager.id, rep.id])
            #expect(Set(try await controlPlane.userIDs(tenantID: tenant.id, scope: .all)) == [manager.id, rep.id, loner.id])
            #expect(try await controlPlane.userIDs(tenantID: tenant.id, scope: .own(userID: loner.id)) == [loner.id])
            #expect(try await controlPlane.teamMemberIDs(tenantID: tenant.id, teamID: "south") == [loner.id])
            let found = try await controlPlane.listUsers(
                tenantID: tenant.id, scope: .all, page: page, roles: [Role.rep.rawValue], teamID: "", includeDeactivated: true, query: "SOLO"
            )
            #expect(found.map(\.id) == [loner.id])

            let renamed = try await controlPlane.updateUser(rep.id, tenantID: tenant.id, expectedVersion: 1) { $0.displayName = "Renamed" }
            #expect(renamed.version == 2 && renamed.displayName == "Renamed")
            #expect(try await controlPlane.user(rep.id, tenantID: tenant.id) == renamed)
            await #expect(throws: StorageError.staleVersion(kind: "user", id: rep.id, current: 2)) {
                try await controlPlane.updateUser(rep.id, tenantID: tenant.id, expectedVersion: 1) { $0.displayName = "Again" }
            }
            await #expect(throws: StorageError.alreadyExists(kind: "user", field: "email")) {
                try await controlPlane.updateUser(rep.id, tenantID: tenant.id, expectedVersion: 2) { $0.email = "solo@example.com" }
            }
            #expect(try await controlPlane.hasOperator() == false)
            try await controlPlane.createUser(UserRow.make(
                tenantID: nil, displayName: "Op", email: "op@localhost", role: .operator, teamID: "", managerUserID: "", createdBy: "test"
            ))
            #expect(try await controlPlane.hasOperator())
        }
    }

    @Test(arguments: ControlPlaneBackend.available)
    func aKeyCredentialJoinsItsUserAndTenantAndDeactivationRevokesIt(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            let start = controlPlane.accessGeneration
            let tenant = try await controlPlane.createTenant(name: "T", createdBy: "op", schemaVersion: 1)
            let user = Self.user(tenant.id, "a@example.com", role: .admin, team: "t1")
            try await controlPlane.createUser(user)
            let key = Self.key(tenant.id, user: user)
            try await controlPlane.insertKey(key)
            try await controlPlane.setTenantLimits(tenant.id, CallLimits(tenantCallsPerSecond: 7))
            let credential = try #require(try await controlPlane.credential(keyID: key.id))
            #expect(credential.key == key)
            #expect(credential.userStatus == UserStatus.active.rawValue && credential.userTeamID == "t1" && credential.userRole == Role.admin.rawValue)
            #expect(credential.creatorRole == Role.admin.rawValue && credential.tenantStatus == TenantStatus.active.rawValue && credential.tenantStatusReason == "")
            #expect(credential.tenantLimits.tenantCallsPerSecond == 7)
            #expect(try await controlPlane.credential(keyID: "key-none") == nil)

            // Four changes above; their notifications may still be arriving (PostgreSQL):
            // wait for the last, so that only touchKeys could move the generation below.
            try await backend.awaitSettled(controlPlane, changes: 4, since: start)
            let before = controlPlane.accessGeneration
            // A batch of uses; an id that names no key is passed over.
            try await controlPlane.touchKeys([key.id: 1234, "key-none": 99])
            #expect(controlPlane.accessGeneration == before)
            #expect(try await controlPlane.key(key.id)?.lastUsedTimeMs == 1234)
            // An older use (a batch that lost a race) does not move it back.
            try await controlPlane.touchKeys([key.id: 1000])
            try await controlPlane.touchKeys([:])
            #expect(try await controlPlane.key(key.id)?.lastUsedTimeMs == 1234)

            let page = try PageRequest(pageSize: 10, pageToken: "", filter: "k")
            #expect(try await controlPlane.listKeys(tenantID: tenant.id, userID: user.id, includeRevoked: false, page: page).map(\.id) == [key.id])
            let deactivated = try await controlPlane.deactivateUser(user.id, tenantID: tenant.id, expectedVersion: 1)
            #expect(deactivated.status == UserStatus.deactivated.rawValue && deactivated.version == 2)
            #expect(controlPlane.accessGeneration != before)
            let revoked = try #require(try await controlPlane.key(key.id))
            #expect(revoked.revokeTimeMs == deactivated.updateTimeMs)
            #expect(try await controlPlane.listKeys(tenantID: tenant.id, userID: "", includeRevoked: false, page: page).isEmpty)
            // Revoking again keeps the first time.
            #expect(try await controlPlane.revokeKey(key.id, tenantID: tenant.id).revokeTimeMs == revoked.revokeTimeMs)
            await #expect(throws: StorageError.notFound(kind: "api_key", id: key.id)) {
                try await controlPlane.revokeKey(key.id, tenantID: "ten-other")
            }
            #expect(try await controlPlane.counts(tenantID: tenant.id) == (users: 1, activeKeys: 0))
        }
    }

    @Test(arguments: ControlPlaneBackend.available)
    func backupsBelongToTheirTenant(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            let tenant = try await controlPlane.createTenant(name: "T", createdBy: "op", schemaVersion: 1)
            let other = try await controlPlane.createTenant(name: "U", createdBy: "op", schemaVersion: 1)
            let backup = TenantBackupRow(id: RecordID.make("bak"), tenantID: tenant.id, fileName: "b.sqlite", sizeBytes: 10, sha256: "ab", schemaVersion: 4)
            try await controlPlane.insertBackup(backup)
            #expect(try await controlPlane.backup(backup.id, tenantID: tenant.id) == backup)
            await #expect(throws: StorageError.notFound(kind: "backup", id: backup.id)) { try await controlPlane.backup(backup.id, tenantID: other.id) }
            let page = try PageRequest(pageSize: 10, pageToken: "", filter: "b")
            #expect(try await controlPlane.backups(tenantID: tenant.id, page: page) == [backup])
            await #expect(throws: StorageError.notFound(kind: "backup", id: backup.id)) { try await controlPlane.deleteBackup(backup.id, tenantID: other.id) }
            #expect(try await controlPlane.deleteBackup(backup.id, tenantID: tenant.id) == backup)
            #expect(try await controlPlane.backups(tenantID: tenant.id, page: page).isEmpty)
        }
    }

    @Test(arguments: ControlPlaneBackend.available)
    func aTenantMovesBetweenNodesOneEpochAtATime(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            try await controlPlane.claimNode(NodeRow(id: "a", address: "127.0.0.1:1"), holder: "pa", leaseMs: 60_000)
            try await controlPlane.claimNode(NodeRow(id: "b", address: "127.0.0.1:2"), holder: "pb", leaseMs: 60_000)
            try await controlPlane.claimNode(NodeRow(id: "b", address: "127.0.0.1:3"), holder: "pb", leaseMs: 60_000)
            #expect(try await controlPlane.node("b").address == "127.0.0.1:3")
            await #expect(throws: StorageError.notFound(kind: "node", id: "c")) { try await controlPlane.node("c") }

            let unplaced = try await controlPlane.createTenant(name: "Old", createdBy: "op", schemaVersion: 1)
            #expect(try await controlPlane.placement(unplaced.id) == nil)
            let tenant = try await controlPlane.createTenant(name: "T", createdBy: "op", schemaVersion: 1, placedOn: "a")
            let placed = try #require(try await controlPlane.placement(tenant.id))
            #expect(placed.nodeID == "a" && placed.epoch == 1 && placed.state == .active && placed.targetNodeID == "")

            await #expect(throws: StorageError.failedPrecondition(reason: "PLACEMENT_CHANGED", message: "the placement of tenant \(tenant.id) changed meanwhile; read it again")) {
                try await controlPlane.beginMove(tenant.id, from: "b", epoch: 1, to: "a")
            }
            let moving = try await controlPlane.beginMove(tenant.id, from: "a", epoch: 1, to: "b")
            #expect(moving.nodeID == "a" && moving.epoch == 1 && moving.state == .moving && moving.targetNodeID == "b")
            await #expect(throws: StorageError.self) { try await controlPlane.beginMove(tenant.id, from: "a", epoch: 1, to: "b") }
            await #expect(throws: StorageError.self) { try await controlPlane.completeMove(tenant.id, epoch: 2) }
            let moved = try await controlPlane.completeMove(tenant.id, epoch: 1)
            #expect(moved.nodeID == "b" && moved.epoch == 2 && moved.state == .active && moved.targetNodeID == "")
            #expect(try await controlPlane.placement(tenant.id) == moved)

            let reassigned = try await controlPlane.assignPlacement(tenant.id, to: "a")
            #expect(reassigned.nodeID == "a" && reassigned.epoch == 3 && reassigned.state == .active)
            #expect(try await controlPlane.assignPlacement(unplaced.id, to: "b").epoch == 1)
            await #expect(throws: StorageError.notFound(kind: "tenant", id: "ten-none")) { try await controlPlane.assignPlacement("ten-none", to: "a") }
        }
    }

    @Test(arguments: ControlPlaneBackend.available)
    func aNodeIdIsLeasedToOneProcessUntilItsLeaseEndsOrIsReleased(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            try await controlPlane.claimNode(NodeRow(id: "a", address: "127.0.0.1:1"), holder: "first", leaseMs: 60_000)
            let refused = await #expect(throws: StorageError.self) {
                try await controlPlane.claimNode(NodeRow(id: "a", address: "127.0.0.1:2"), holder: "second", leaseMs: 60_000)
            }
            guard case .failedPrecondition(let reason, let message) = refused else { Issue.record("not a precondition: \(String(describing: refused))"); return }
            #expect(reason == "NODE_LEASE_HELD" && message.contains("first"))
            // The refused claim changed nothing; the holder renews, another cannot.
            #expect(try await controlPlane.node("a").address == "127.0.0.1:1")
            #expect(try await controlPlane.renewNodeLease("a", holder: "first", leaseMs: 60_000))
            #expect(try await controlPlane.renewNodeLease("a", holder: "second", leaseMs: 60_000) == false)

            // Released: another process claims the id at once, and the first can no longer renew.
            try await controlPlane.releaseNodeLease("a", holder: "first")
            try await controlPlane.claimNode(NodeRow(id: "a", address: "127.0.0.1:2"), holder: "second", leaseMs: 1)
            #expect(try await controlPlane.node("a").address == "127.0.0.1:2")
            #expect(try await controlPlane.renewNodeLease("a", holder: "first", leaseMs: 60_000) == false)
            // A lease that ran out (1 ms, by the store's clock) is claimed by another.
            var claimed = false
            for _ in 0..<100 where !claimed {
                claimed = (try? await controlPlane.claimNode(NodeRow(id: "a", address: "127.0.0.1:3"), holder: "third", leaseMs: 60_000)) != nil
                if !claimed { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(claimed)
            #expect(try await controlPlane.node("a").address == "127.0.0.1:3")
            #expect(try await controlPlane.renewNodeLease("a", holder: "second", leaseMs: 60_000) == false)
        }
    }

    @Test(arguments: ControlPlaneBackend.available)
    func aCompletedMoveRecordsItsAuditEventInItsTransaction(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            let tenant = try await controlPlane.createTenant(name: "T", createdBy: "op", schemaVersion: 1, placedOn: "a")
            _ = try await controlPlane.beginMove(tenant.id, from: "a", epoch: 1, to: "b")
            let event = AuditLog.stamped(AuditEvent(recordKind: .tenant, recordId: tenant.id, action: .update))
            // A refused change records nothing.
            await #expect(throws: StorageError.self) {
                try await controlPlane.completeMove(tenant.id, epoch: 7) { _, _ in event }
            }
            #expect(try await controlPlane.pendingAudit(tenantID: tenant.id).isEmpty)
            let seen = Mutex<(PlacementRow?, PlacementRow?)>((nil, nil))
            let moved = try await controlPlane.completeMove(tenant.id, epoch: 1) { before, after in
                seen.withLock { $0 = (before, after) }
                return event
            }
            #expect(seen.withLock { $0.0?.nodeID } == "a" && seen.withLock { $0.0?.epoch } == 1)
            #expect(seen.withLock { $0.1 } == moved)
            #expect(try await controlPlane.pendingAudit(tenantID: tenant.id).map(\.id) == [event.id])
        }
    }

    static func user(_ tenantID: String, _ email: String, role: Role, team: String, manager: String = "") -> UserRow {
        UserRow.make(tenantID: tenantID, displayName: email, email: email, role: role, teamID: team, managerUserID: manager, createdBy: "test")
    }

    static func key(_ tenantID: String, user: UserRow) -> APIKeyRow {
        APIKeyRow.make(
            id: RecordID.make("key"), tenantID: tenantID, userID: user.id, role: Role(rawValue: user.role), displayName: "k",
            keyPrefix: "sfa_x", secretHash: Array(repeating: 7, count: 32), expireTimeMs: 0, createdBy: user.id
        )
    }
}

/// What only a store shared by several nodes does, and what the tests report when
/// PostgreSQL is absent.
@Suite struct PostgresBackendTests {
    @Test(arguments: ControlPlaneBackend.available)
    func nodesClaimingATenantNeverPlacedAtOnceAllGetTheOnePlacementThatWon(_ backend: ControlPlaneBackend) async throws {
        try await backend.withControlPlane { controlPlane in
            let tenant = try await controlPlane.createTenant(name: "Old", createdBy: "op", schemaVersion: 1)
            let claims = try await withThrowingTaskGroup(of: PlacementRow.self) { group in
                for node in ["a", "b", "c", "d"] { group.addTask { try await controlPlane.claimPlacement(tenant.id, for: node) } }
                return try await group.reduce(into: [PlacementRow]()) { $0.append($1) }
            }
            let winner = try #require(try await controlPlane.placement(tenant.id))
            #expect(winner.epoch == 1 && winner.state == .active)
            #expect(claims.count == 4 && claims.allSatisfy { $0 == winner })
            #expect(try await controlPlane.claimPlacement(tenant.id, for: "e") == winner)
        }
    }

    @Test(.enabled(if: PostgresTestServer.isInstalled, Comment(rawValue: PostgresTestServer.absentMessage)))
    func aChangeCommittedByOneNodeMovesTheAccessGenerationOfAnother() async throws {
        let url = try await ControlPlaneBackend.postgresDatabase()
        // No fallback turn during the test (an hour): only notifications move the
        // second node, so the waits may be as long as a loaded machine needs.
        try await ControlPlaneBackend.withPostgres(url: url, fallbackInterval: .seconds(3600)) { first in
            try await ControlPlaneBackend.withPostgres(url: url, fallbackInterval: .seconds(3600)) { second in
                // The second node reports one change as its listener starts (nothing it
                // missed before may count as current); from then on only notifications
                // move it: first the tenant's creation, then its suspension.
                #expect(await eventually(within: .seconds(60)) { second.accessGeneration != 0 }, "the second node never listened")
                let listening = second.accessGeneration
                let tenant = try await first.createTenant(name: "T", createdBy: "op", schemaVersion: 1)
                #expect(await eventually(within: .seconds(60)) { second.accessGeneration != listening }, "the creation was not heard")
                let settled = second.accessGeneration
                _ = try await first.setTenantStatus(tenant.id, expectedVersion: 1, status: .suspended, reason: "")
                _ = await eventually(within: .seconds(60)) { second.accessGeneration != settled }
                #expect(second.accessGeneration != settled, "no notification reached the second node")
                // A read the second node makes now sees the first node's change.
                #expect(try await second.tenant(tenant.id).status == TenantStatus.suspended.rawValue)
            }
        }
    }

    @Test(.enabled(if: PostgresTestServer.isInstalled, Comment(rawValue: PostgresTestServer.absentMessage)))
    func aWatchDownLongerThanTheFallbackIntervalIsReportedUntilItListensAgain() async throws {
        let server = try #require(try await PostgresTestServer.shared())
        let url = try await server.database()
        let database = String(url.split(separator: "/").last!)
        try await ControlPlaneBackend.withPostgres(url: url, fallbackInterval: .milliseconds(300)) { controlPlane in
            for _ in 0..<1000 where controlPlane.store.unwatchedSince != nil { try await Task.sleep(for: .milliseconds(10)) }
            #expect(controlPlane.store.unwatchedSince == nil && controlPlane.watchProblem == nil)
            // The database refuses new connections and drops this node's: it cannot listen again.
            func psql(_ sql: String) async throws {
                let (status, output) = try await server.psql(database: "postgres", sql)
                try #require(status == 0, "\(output)")
            }
            try await psql("ALTER DATABASE \(database) ALLOW_CONNECTIONS false")
            try await psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
            for _ in 0..<1000 where controlPlane.watchProblem == nil { try await Task.sleep(for: .milliseconds(10)) }
            #expect(controlPlane.watchProblem?.contains("unwatched") == true)
            // Allowed again, it listens again (within its backoff) and the problem is gone.
            try await psql("ALTER DATABASE \(database) ALLOW_CONNECTIONS true")
            for _ in 0..<1000 where controlPlane.watchProblem != nil { try await Task.sleep(for: .milliseconds(20)) }
            #expect(controlPlane.watchProblem == nil && controlPlane.store.unwatchedSince == nil)
        }
    }

    @Test(.enabled(if: PostgresTestServer.isInstalled, Comment(rawValue: PostgresTestServer.absentMessage)))
    func verifyFullConnectsOverTLSToAServerItsRootCertificateVouchesForAndToNoOther() async throws {
        let server = try #require(try await PostgresTestServer.shared())
        let url = try await server.database()
        let database = String(url.split(separator: "/").last!)
        try await ControlPlaneBackend.withPostgres(url: url + "?sslmode=verify-full&sslrootcert=\(server.certificateAuthority)") { controlPlane in
            _ = try await controlPlane.createTenant(name: "Encrypted", createdBy: "op", schemaVersion: 1)
            // PostgreSQL's own view: every connection of this database is encrypted.
            let (status, output) = try await server.psql(
                database: "postgres",
                "SELECT count(*) FILTER (WHERE ssl) || '/' || count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = '\(database)'"
            )
            let counts = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.contains("/") }
            let parts = counts?.split(separator: "/").map(String.init) ?? []
            #expect(status == 0 && parts.count == 2 && parts[0] == parts[1] && parts[0] != "0", "\(output)")
        }
        // Another CA does not vouch for the server: the handshake fails.
        let stranger = try TestCertificates()
        defer { stranger.remove() }
        let tls = try #require(try PostgresURL.tls(mode: "verify-full", rootCertificates: stranger.path("ca.pem")).configuration)
        let configuration = PostgresConnection.Configuration(
            host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: database,
            tls: .require(try NIOSSLContext(configuration: tls))
        )
        let refused = await #expect(throws: PSQLError.self) {
            try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test.tls")).close()
        }
        #expect(String(reflecting: refused).contains("CERTIFICATE_VERIFY_FAILED"), "\(String(describing: refused))")
        #expect(throws: ControlPlaneURLError.self) { try PostgresControlPlaneStore(url: url + "?sslmode=verify-full&sslrootcert=/nonexistent.pem", logger: Logger(label: "t")) }
        #expect(throws: ControlPlaneURLError.self) { try PostgresControlPlaneStore(url: url + "?sslmode=allow", logger: Logger(label: "t")) }
    }

    @Test(.enabled(if: PostgresTestServer.isInstalled, Comment(rawValue: PostgresTestServer.absentMessage)))
    func theFallbackIntervalDropsCachesWithoutAnyNotification() async throws {
        let url = try await ControlPlaneBackend.postgresDatabase()
        try await ControlPlaneBackend.withPostgres(url: url, fallbackInterval: .milliseconds(50)) { controlPlane in
            // Nothing changes anywhere: only the interval (and the listener's start) move it.
            #expect(await eventually { controlPlane.accessGeneration >= 5 })
        }
    }
}
