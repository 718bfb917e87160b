import Foundation
import SFAClient
import SFALoad
import SFAProtoJSON
import SFAStubs
import SFATestSupport
import Testing

/// Two `sfad` nodes on loopback sharing one PostgreSQL control plane: routing by the
/// placement directory, redirects the client follows, and a tenant moved between
/// nodes under a running sfa-load sales-day mix (docs/scaling.md).
@Suite(.enabled(if: PostgresTestServer.isInstalled, Comment(rawValue: PostgresTestServer.absentMessage)))
struct ScaleOutTests {
    @Test func aClientConnectedToTheWrongNodeIsRedirectedToTheOwnerAndSucceeds() async throws {
        try await withCluster { cluster, tenant in
            // Created through node a, the tenant lives there.
            let strict = cluster.client("b", tenant.repKey, redirects: 0)
            defer { Task { await strict.close() } }
            let refused = await #expect(throws: RPCError.self) {
                try await LeadServiceClient(strict).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("strict")))
            }
            #expect(refused?.code == .failedPrecondition && refused?.details.reason == "TENANT_MOVED")
            #expect(refused?.details.metadata["address"] == cluster.node("a").address)
            #expect(refused?.details.metadata["epoch"] == "1" && refused?.details.metadata["tenant_id"] == tenant.id)

            let client = cluster.client("b", tenant.repKey)
            defer { Task { await client.close() } }
            let created = try await LeadServiceClient(client).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("followed")))
            #expect(created.created)
            #expect(client.placements.owner(of: tenant.id)?.address == cluster.node("a").address)
            #expect(client.placements.owner(of: tenant.id)?.epoch == 1)
            // Read back on the owner, with no redirect to follow.
            let owner = cluster.client("a", tenant.repKey, redirects: 0)
            defer { Task { await owner.close() } }
            #expect(try await LeadServiceClient(owner).getLead(GetLeadRequest(id: created.lead!.id)).id == created.lead!.id)

            // sfactl asks node b to move the tenant to b: b sends the call to the owner, a.
            let move = try await runShell(
                "SFACTL --port \(cluster.node("b").port) --json tenants move \(tenant.id) --to b",
                environment: ["SFA_API_KEY": cluster.operatorKey]
            )
            #expect(move.status == 0, "sfactl tenants move: \(move.error)")
            let placement = try JSONValue.parse(move.output)
            #expect(placement["node_id"] == .string("b") && placement["epoch"] == .string("2") && placement["state"] == .string("PLACEMENT_STATE_ACTIVE"))
            // The client that knew a at epoch 1 is sent to b, learns epoch 2, and reads its lead there.
            #expect(try await LeadServiceClient(client).getLead(GetLeadRequest(id: created.lead!.id)).id == created.lead!.id)
            #expect(client.placements.owner(of: tenant.id)?.address == cluster.node("b").address)
            #expect(client.placements.owner(of: tenant.id)?.epoch == 2)
        }
    }

    @Test(.timeLimit(.minutes(5))) func aTenantMovedUnderASalesDayMixLosesNoAcknowledgedWriteAndTheOldNodeRefusesIt() async throws {
        try await withCluster { cluster, tenant in
            let seeding = cluster.client("a", tenant.repKey)
            let fixture = try await TenantFixture.seeded(through: seeding, key: tenant.repKey, tenantID: tenant.id, userID: tenant.repID, name: "Scale")
            await seeding.close()
            // sfa-load's sales-day mix on node a, its connections following redirects.
            let writes = AcknowledgedCalls()
            var plan = LoadPlan(port: cluster.node("a").port, connections: 2, inFlight: 8, stop: .count(Self.mixCalls))
            plan.maximumRedirects = 20
            let salesDay = try Scenario.named("sales-day")
            let mix = Task {
                try await LoadRunner.run(plan: plan, scenario: salesDay, tenants: [fixture], skew: .uniform, seed: 17, observer: writes.observer)
            }
            // Let the mix write, then move the tenant, asking node b (which sends the call to the owner, a).
            for _ in 0..<6_000 where writes.count < 40 { try await Task.sleep(for: .milliseconds(20)) }
            let operatorClient = cluster.client("b", cluster.operatorKey)
            defer { Task { await operatorClient.close() } }
            let placement = try await AdminServiceClient(operatorClient).moveTenant(MoveTenantRequest(tenantId: tenant.id, toNodeId: "b"))
            #expect(placement.nodeId == "b" && placement.epoch == 2 && placement.state == .active)
            #expect(placement.address == cluster.node("b").address)
            // The mix goes on, redirected to b, until it has written as much again; then it is stopped.
            let atMove = writes.count
            for _ in 0..<6_000 where writes.count < atMove + 40 { try await Task.sleep(for: .milliseconds(20)) }
            mix.cancel()
            let outcome = try await mix.value
            #expect(writes.count >= atMove + 40, "the mix wrote \(writes.count - atMove) times after the move")
            // Nothing failed but stage moves that kept conflicting and the calls in flight when the mix was stopped.
            let statuses = Set(outcome.recorder.failures.values.flatMap(\.keys))
            #expect(statuses.isSubset(of: ["ABORTED", "CANCELLED"]), "\(outcome.recorder.failures)")
            for method in [LeadServiceMethods.createLead, ActivityServiceMethods.createActivity, ConsultationServiceMethods.createConsultation] {
                #expect(writes.count(of: method) > 0, "\(method)")
            }

            // Every acknowledged write is on node b, read there directly: each record the
            // mix created, at the version it acknowledged or a later one.
            let onB = cluster.client("b", tenant.repKey, redirects: 0)
            defer { Task { await onB.close() } }
            let acknowledged = writes.records
            var latest: [String: WrittenRecord] = [:]
            for record in acknowledged where record.version > latest[record.id]?.version ?? 0 { latest[record.id] = record }
            var missing: [WrittenRecord] = []
            for record in latest.values {
                let version = try? await Self.version(of: record, on: onB)
                if (version ?? 0) < record.version { missing.append(record) }
            }
            #expect(missing.isEmpty, "\(missing.count) of \(latest.count) acknowledged records are not on node b: \(missing.prefix(5))")

            // Node a holds the stale epoch 1 and refuses the tenant's writes, naming b at epoch 2.
            let onA = cluster.client("a", tenant.repKey, redirects: 0)
            defer { Task { await onA.close() } }
            let refused = await #expect(throws: RPCError.self) {
                try await LeadServiceClient(onA).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("stale")))
            }
            #expect(refused?.details.reason == "TENANT_MOVED")
            #expect(refused?.details.metadata["address"] == cluster.node("b").address && refused?.details.metadata["epoch"] == "2")
            // Its copy of the file is gone: the tenant lives on one node at a time.
            let fileOnA = cluster.directory + "/a/tenants/\(tenant.id).sqlite"
            #expect(!FileManager.default.fileExists(atPath: fileOnA))
        }
    }

    /// The most calls the mix of the move test makes; it is stopped well before.
    static let mixCalls = 20_000

    /// The version of a record the sales-day mix writes, read with `client`.
    static func version(of record: WrittenRecord, on client: RPCClient) async throws -> Int64? {
        switch record.kind {
        case .lead: try await LeadServiceClient(client).getLead(GetLeadRequest(id: record.id)).version
        case .opportunity: try await OpportunityServiceClient(client).getOpportunity(GetOpportunityRequest(id: record.id)).version
        case .activity: try await ActivityServiceClient(client).getActivity(GetActivityRequest(id: record.id)).version
        case .consultation: try await ConsultationServiceClient(client).getConsultation(GetConsultationRequest(id: record.id)).version
        case .quote: try await QuoteServiceClient(client).getQuote(GetQuoteRequest(id: record.id)).version
        default: nil
        }
    }

    @Test func aKeyRevokedThroughOneNodeIsRefusedByTheOtherThatCachedIt() async throws {
        try await withCluster { cluster, tenant in
            // Node b admits the key (and caches its credential) before redirecting to a.
            let client = cluster.client("b", tenant.repKey)
            defer { Task { await client.close() } }
            let leads = LeadServiceClient(client)
            _ = try await leads.listLeads(ListLeadsRequest())
            let operatorClient = cluster.client("a", cluster.operatorKey)
            defer { Task { await operatorClient.close() } }
            let admin = AdminServiceClient(operatorClient)
            // A key is sfa_<key id>_<secret>.
            let keyID = String(tenant.repKey.dropFirst(4)[..<tenant.repKey.lastIndex(of: "_")!])
            _ = try await admin.revokeApiKey(RevokeApiKeyRequest(tenantId: tenant.id, id: keyID))
            // b hears of it by NOTIFY, in milliseconds on an idle machine; the wait allows
            // 20 s for a loaded one.
            let strict = cluster.client("b", tenant.repKey, redirects: 0)
            defer { Task { await strict.close() } }
            var code: StatusCode?
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                do {
                    _ = try await LeadServiceClient(strict).listLeads(ListLeadsRequest())
                } catch let error as RPCError {
                    code = error.code
                }
                if code == .unauthenticated { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(code == .unauthenticated)
        }
    }

    @Test func aMoveToAnUnknownNodeIsRefusedAndChangesNothing() async throws {
        try await withCluster { cluster, tenant in
            let operatorClient = cluster.client("a", cluster.operatorKey)
            defer { Task { await operatorClient.close() } }
            let admin = AdminServiceClient(operatorClient)
            let unknown = await #expect(throws: RPCError.self) {
                try await admin.moveTenant(MoveTenantRequest(tenantId: tenant.id, toNodeId: "nowhere"))
            }
            #expect(unknown?.code == .notFound)
            let missing = await #expect(throws: RPCError.self) { try await admin.moveTenant(MoveTenantRequest(tenantId: tenant.id)) }
            #expect(missing?.details.fieldViolations.map(\.field) == ["to_node_id"])
            // Still served by a, at epoch 1.
            let strict = cluster.client("a", tenant.repKey, redirects: 0)
            defer { Task { await strict.close() } }
            let kept = try await LeadServiceClient(strict).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("kept")))
            #expect(kept.created)
            // An operator's call about the tenant made on b is answered by its owner, a:
            // b never makes a file for a tenant it does not own.
            let viaB = cluster.client("b", cluster.operatorKey)
            defer { Task { await viaB.close() } }
            let backup = try await AdminServiceClient(viaB).backupTenant(BackupTenantRequest(tenantId: tenant.id))
            #expect(FileManager.default.fileExists(atPath: cluster.directory + "/a/backups/\(tenant.id)/\(backup.backup!.fileName)"))
            #expect(!FileManager.default.fileExists(atPath: cluster.directory + "/b/tenants/\(tenant.id).sqlite"))
            #expect(viaB.placements.owner(of: tenant.id)?.address == cluster.node("a").address)
        }
    }

    @Test func aReadOnlyTenantServesReadsAndRefusesWrites() async throws {
        try await withCluster { cluster, tenant in
            let client = cluster.client("b", tenant.repKey)
            defer { Task { await client.close() } }
            let leads = LeadServiceClient(client)
            let lead = try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("before"))).lead!
            // An operator marks the placement read-only in the directory (docs/scaling.md).
            try await cluster.directory(
                "UPDATE tenant_placement SET state = 'read-only' WHERE tenant_id = '\(tenant.id)'; NOTIFY sfa_access"
            )
            var refused: RPCError?
            // Refused once the NOTIFY arrives: up to 20 s on a loaded machine.
            let deadline = ContinuousClock.now + .seconds(20)
            var index = 0
            while refused == nil, ContinuousClock.now < deadline {
                index += 1
                do {
                    _ = try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("during-\(index)")))
                    try await Task.sleep(for: .milliseconds(20))
                } catch let error as RPCError {
                    refused = error
                }
            }
            #expect(refused?.code == .failedPrecondition && refused?.details.reason == "TENANT_READ_ONLY")
            #expect(try await leads.getLead(GetLeadRequest(id: lead.id)).id == lead.id)
            #expect(try await leads.listLeads(ListLeadsRequest()).leads.contains { $0.id == lead.id })
        }
    }

    @Test func aTenantPlacedOnANodeWithoutItsCopyIsRefusedThereAndNoEmptyFileIsMade() async throws {
        try await withCluster { cluster, tenant in
            // As a move whose copy went to a directory node b does not see: b owns epoch 2, with no copy.
            try await cluster.directory(
                "UPDATE tenant_placement SET node_id = 'b', epoch = 2 WHERE tenant_id = '\(tenant.id)'; NOTIFY sfa_access"
            )
            let client = cluster.client("b", tenant.repKey, redirects: 0)
            defer { Task { await client.close() } }
            var refused: RPCError?
            // b answers TENANT_MOVED until its cache sees epoch 2 (by NOTIFY: up to 20 s
            // on a loaded machine).
            let deadline = ContinuousClock.now + .seconds(20)
            var index = 0
            while refused?.details.reason != "TENANT_HANDOFF_MISSING", ContinuousClock.now < deadline {
                index += 1
                do {
                    _ = try await LeadServiceClient(client).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("lost-\(index)")))
                } catch let error as RPCError {
                    refused = error
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(refused?.code == .unavailable && refused?.details.reason == "TENANT_HANDOFF_MISSING")
            #expect(!FileManager.default.fileExists(atPath: cluster.directory + "/b/tenants/\(tenant.id).sqlite"))
        }
    }

    @Test func usersAndKeysChangeThroughAnyNodeWhileTheTenantIsMovingAndNoFileIsMadeThere() async throws {
        try await withCluster { cluster, tenant in
            // A move stopped after its first step: the tenant's data answers TENANT_MOVING on every node.
            try await cluster.directory(
                "UPDATE tenant_placement SET state = 'moving', target_node_id = 'b' WHERE tenant_id = '\(tenant.id)'; NOTIFY sfa_access"
            )
            let operatorClient = cluster.client("b", cluster.operatorKey, redirects: 0)
            defer { Task { await operatorClient.close() } }
            let admin = AdminServiceClient(operatorClient)
            let rep = try #require(try await admin.listUsers(ListUsersRequest(tenantId: tenant.id)).users.first { $0.role == .rep })
            _ = try await admin.deactivateUser(DeactivateUserRequest(tenantId: tenant.id, id: rep.id, version: rep.version))
            let keys = try await admin.listApiKeys(ListApiKeysRequest(tenantId: tenant.id)).apiKeys
            // The admin's key: deactivating the rep revoked the rep's.
            #expect(keys.count == 1)
            for key in keys { _ = try await admin.revokeApiKey(RevokeApiKeyRequest(tenantId: tenant.id, id: key.id)) }
            #expect(!FileManager.default.fileExists(atPath: cluster.directory + "/b/tenants/\(tenant.id).sqlite"))
            // The tenant's data still waits for its move.
            let backup = await #expect(throws: RPCError.self) { try await admin.backupTenant(BackupTenantRequest(tenantId: tenant.id)) }
            #expect(backup?.details.reason == "TENANT_MOVING")
        }
    }

    @Test func aSecondProcessWithANodesIdRefusesToStartWhileTheFirstHoldsItsLease() async throws {
        try await withCluster { cluster, tenant in
            let second = try await cluster.startAnother("a", instance: "-second")
            defer { ClusterNodes.stop(second.node) }
            #expect(!second.serving && !second.node.process.isRunning)
            if !second.node.process.isRunning { #expect(second.node.process.terminationStatus != 0) }
            let log = (try? String(contentsOfFile: second.node.log, encoding: .utf8)) ?? ""
            #expect(log.contains("refusing to start") && log.contains("node a is served by another process"), "\(log)")
            // The first still serves the node's tenants.
            let client = cluster.client("a", tenant.repKey, redirects: 0)
            defer { Task { await client.close() } }
            #expect(try await LeadServiceClient(client).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("first"))).created)

            // Stopped, the first releases its lease: a new process takes the id at once.
            cluster.stop("a")
            let replacement = try await cluster.startAnother("a", instance: "-replacement")
            defer { ClusterNodes.stop(replacement.node) }
            #expect(replacement.serving, "\((try? String(contentsOfFile: replacement.node.log, encoding: .utf8)) ?? "")")
        }
    }

    @Test func aNodeWhoseLeaseAnotherProcessTookStopsServingAndIsNotReady() async throws {
        try await withCluster { cluster, tenant in
            let admin = cluster.node("a").adminPort
            #expect(try await httpGet(port: admin, path: "/readyz").status == 200)
            // Another process took the id (as after a lease ran out while this one was cut off).
            try await cluster.directory("UPDATE node SET lease_holder = 'elsewhere', lease_expire_time_ms = 9999999999999 WHERE id = 'a'")
            let client = cluster.client("a", tenant.repKey, redirects: 0)
            defer { Task { await client.close() } }
            var refusal: RPCError?
            for sequence in 0..<300 where refusal == nil {
                do {
                    _ = try await LeadServiceClient(client).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("l\(sequence)")))
                    try await Task.sleep(for: .milliseconds(100))
                } catch let error as RPCError {
                    refusal = error
                }
            }
            #expect(refusal?.code == .unavailable && refusal?.details.reason == "NODE_LEASE_LOST", "\(String(describing: refusal))")
            let ready = try await httpGet(port: admin, path: "/readyz")
            #expect(ready.status == 503 && ready.body.contains("node lease of a not held"), "\(ready)")
        }
    }

    @Test func aRedirectToAHostTheClientWasNotGivenIsRefusedUnlessAllowed() async throws {
        try await withCluster { cluster, tenant in
            // The directory names node a by another name of the same machine.
            let named = "localhost:\(cluster.node("a").port)"
            try await cluster.directory("UPDATE node SET address = '\(named)' WHERE id = 'a'; NOTIFY sfa_access")
            let lead = CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("named"))
            // Node b names the new address once the notification has reached it.
            let probe = cluster.client("b", tenant.repKey, redirects: 0)
            defer { Task { await probe.close() } }
            var advertised = ""
            let deadline = ContinuousClock.now + .seconds(20)  // by NOTIFY; 20 s for a loaded machine
            while advertised != named, ContinuousClock.now < deadline {
                do {
                    _ = try await LeadServiceClient(probe).createLead(lead)
                } catch let error as RPCError {
                    advertised = error.details.metadata["address"] ?? ""
                    if advertised != named { try await Task.sleep(for: .milliseconds(20)) }
                }
            }
            try #require(advertised == named, "node b never named the new address")

            let strict = cluster.client("b", tenant.repKey)
            defer { Task { await strict.close() } }
            let refused = await #expect(throws: RPCError.self) { try await LeadServiceClient(strict).createLead(lead) }
            #expect(refused?.code == .failedPrecondition && refused?.details.reason == "REDIRECT_HOST_NOT_ALLOWED")
            #expect(refused?.details.metadata["address"] == named)
            #expect(strict.placements.owner(of: tenant.id) == nil)

            var configuration = ClientConfiguration(port: cluster.node("b").port, apiKey: tenant.repKey, retry: .none)
            configuration.redirectHosts = ["localhost"]
            let allowed = RPCClient(configuration: configuration)
            defer { Task { await allowed.close() } }
            #expect(try await LeadServiceClient(allowed).createLead(lead).created)
            #expect(allowed.placements.owner(of: tenant.id)?.address == named)
        }
    }

    @Test func aClientWhoseLearnedOwnerIsGoneAsksItsSeedOnceAndSucceeds() async throws {
        try await withCluster { cluster, tenant in
            let client = cluster.client("b", tenant.repKey)
            defer { Task { await client.close() } }
            let leads = LeadServiceClient(client)
            let created = try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("before")))
            #expect(client.placements.owner(of: tenant.id)?.address == cluster.node("a").address)
            // The tenant moves to b and node a goes away; the client still knows a.
            let operatorClient = cluster.client("b", cluster.operatorKey)
            defer { Task { await operatorClient.close() } }
            _ = try await AdminServiceClient(operatorClient).moveTenant(MoveTenantRequest(tenantId: tenant.id, toNodeId: "b"))
            cluster.stop("a")
            #expect(try await leads.getLead(GetLeadRequest(id: created.lead!.id)).id == created.lead!.id)
            #expect(client.placements.owner(of: tenant.id) == nil)
        }
    }

    @Test func aMoveIsAuditedInTheTenantsLogOnItsNewOwner() async throws {
        try await withCluster { cluster, tenant in
            let operatorClient = cluster.client("b", cluster.operatorKey)
            defer { Task { await operatorClient.close() } }
            _ = try await AdminServiceClient(operatorClient).moveTenant(MoveTenantRequest(tenantId: tenant.id, toNodeId: "b"))
            // The tenant's admin reads its log on b with a key it issued itself.
            let bootstrapClient = cluster.client("b", tenant.bootstrapKey)
            defer { Task { await bootstrapClient.close() } }
            let bootstrap = AdminServiceClient(bootstrapClient)
            let adminUser = try #require(try await bootstrap.listUsers(ListUsersRequest()).users.first { $0.role == .admin })
            let adminKey = try await bootstrap.issueApiKey(IssueApiKeyRequest(userId: adminUser.id)).secret
            let adminClient = cluster.client("b", adminKey, redirects: 0)
            defer { Task { await adminClient.close() } }
            let events = try await AuditServiceClient(adminClient).listAuditEvents(ListAuditEventsRequest(recordKind: .tenant, recordId: tenant.id)).events
            let moves = events.filter { $0.method == AdminServiceMethods.moveTenant.fullName }
            #expect(moves.count == 1)
            let move = try #require(moves.first)
            #expect(move.actorRole == .operator && !move.actorApiKeyId.isEmpty && move.action == .update && move.recordVersion == 2)
            #expect(move.changes == [
                FieldChange(field: "node_id", beforeJson: "\"a\"", afterJson: "\"b\""),
                FieldChange(field: "epoch", beforeJson: "\"1\"", afterJson: "\"2\""),
            ])
        }
    }

    /// A tenant created through node a with a rep's key and its admin's bootstrap key
    /// (an operator's: it manages users and keys only), in a new two-node cluster.
    private func withCluster(_ body: (ClusterNodes, (id: String, repKey: String, repID: String, bootstrapKey: String)) async throws -> Void) async throws {
        let server = try #require(try await PostgresTestServer.shared())
        let cluster = try await ClusterNodes.start(["a", "b"], server: server)
        defer { cluster.stop() }
        let operatorClient = cluster.client("a", cluster.operatorKey)
        defer { Task { await operatorClient.close() } }
        let admin = AdminServiceClient(operatorClient)
        let tenant = try await admin.createTenant(CreateTenantRequest(tenant: Tenant(name: "Scale")))
        let adminUser = try await admin.createUser(
            CreateUserRequest(tenantId: tenant.id, user: User(displayName: "Admin", email: "admin@scale.example", role: .admin))
        )
        let bootstrapKey = try await admin.issueApiKey(IssueApiKeyRequest(tenantId: tenant.id, userId: adminUser.id)).secret
        let tenantClient = cluster.client("a", bootstrapKey)
        defer { Task { await tenantClient.close() } }
        let tenantAdmin = AdminServiceClient(tenantClient)
        let rep = try await tenantAdmin.createUser(CreateUserRequest(user: User(displayName: "Rep", email: "rep@scale.example", role: .rep)))
        let repKey = try await tenantAdmin.issueApiKey(IssueApiKeyRequest(userId: rep.id)).secret
        try await body(cluster, (tenant.id, repKey, rep.id, bootstrapKey))
    }
}

/// A single node (the default) has no placement directory to move tenants in.
@Suite struct SingleNodePlacementTests {
    @Test func aMoveOnASingleNodeIsRefusedAndTheTenantStaysServed() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Alone")
            let refused = await #expect(throws: RPCError.self) {
                try await stack.admin(stack.operatorKey).moveTenant(MoveTenantRequest(tenantId: tenant.tenant.id, toNodeId: "b"))
            }
            #expect(refused?.code == .failedPrecondition && refused?.details.reason == "NOT_CLUSTERED")
            let leads = LeadServiceClient(stack.client(tenant.keys[.rep]))
            #expect(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("alone"))).created)
        }
    }
}
