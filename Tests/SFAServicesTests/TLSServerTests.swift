import Foundation
import SFAClient
import SFAServer
import SFAStorage
import SFAStubs
import SFATestSupport
import SFATransport
import Testing

@testable import SFAServices

/// TLS through the whole server: client certificates bound to tenants, and `sfad`
/// reloading its certificate on SIGHUP.
@Suite struct TLSServerTests {
    @Test func aClientCertificateBoundToATenantServesOnlyThatTenantsKeys() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        let tls = try ServerTLS(
            configuration: ServerTLSConfiguration(
                certificateChainFile: pki.path("server.pem"),
                privateKeyFile: pki.path("server.key"),
                clientCertificates: .required,
                clientCertificateAuthorityFile: pki.path("ca.pem")
            )
        )
        // The stack's own clients (setting tenants up) present a certificate bound to no tenant.
        try pki.issueClient("setup")
        let stack = try await TestStack.start(tls: tls, clientTLS: try pki.client(certificate: "setup"))
        do {
            let alpha = try await stack.makeTenant("Alpha")
            let beta = try await stack.makeTenant("Beta")
            try pki.issueClient("alpha-partner", tenants: [alpha.tenant.id])
            let partnerTLS = try pki.client(certificate: "alpha-partner")
            func leads(_ key: String?) -> LeadServiceClient {
                LeadServiceClient(RPCClient(configuration: ClientConfiguration(port: stack.port, apiKey: key, retry: .none, tls: partnerTLS)))
            }
            #expect(try await leads(alpha.keys[.partner]).listLeads(ListLeadsRequest()).leads.isEmpty)
            let refused = await #expect(throws: RPCError.self) { try await leads(beta.keys[.partner]).listLeads(ListLeadsRequest()) }
            #expect(refused?.code == .permissionDenied)
            #expect(refused?.details.reason == "CERTIFICATE_TENANT_MISMATCH")
            // Nor may an operator key act across tenants through a partner's certificate.
            let operatorRefused = await #expect(throws: RPCError.self) {
                try await AdminServiceClient(
                    RPCClient(configuration: ClientConfiguration(port: stack.port, apiKey: stack.operatorKey, retry: .none, tls: partnerTLS))
                ).listTenants(ListTenantsRequest())
            }
            #expect(operatorRefused?.details.reason == "CERTIFICATE_TENANT_MISMATCH")
            // The API key is still needed: the certificate binds, it does not authenticate a user.
            let keyless = await #expect(throws: RPCError.self) { try await leads(nil).listLeads(ListLeadsRequest()) }
            #expect(keyless?.code == .unauthenticated)
            // A misissued certificate (a malformed saleswire URN beside a good one) binds to
            // no tenant: even the key of the tenant it names is refused.
            try pki.issue(
                "misissued", by: "ca", names: "URI:urn:saleswire:tenant:\(alpha.tenant.id),URI:urn:saleswire:tenant:", usage: "clientAuth"
            )
            let misissuedTLS = try pki.client(certificate: "misissued")
            let misissued = await #expect(throws: RPCError.self) {
                try await LeadServiceClient(
                    RPCClient(configuration: ClientConfiguration(port: stack.port, apiKey: alpha.keys[.partner], retry: .none, tls: misissuedTLS))
                ).listLeads(ListLeadsRequest())
            }
            #expect(misissued?.details.reason == "CERTIFICATE_TENANT_MISMATCH")
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    /// The binding is checked inside the gate as soon as the key's secret is verified:
    /// a refused key of another tenant is not cached, its last use is not recorded and
    /// its calls per second are not counted.
    @Test func aKeyRefusedForItsCertificatesTenantLeavesNoTraceOnTheKey() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        let tls = try ServerTLS(
            configuration: ServerTLSConfiguration(
                certificateChainFile: pki.path("server.pem"),
                privateKeyFile: pki.path("server.key"),
                clientCertificates: .required,
                clientCertificateAuthorityFile: pki.path("ca.pem")
            )
        )
        try pki.issueClient("setup")
        let stack = try await TestStack.start(tls: tls, clientTLS: try pki.client(certificate: "setup"))
        do {
            let alpha = try await stack.makeTenant("Alpha")
            let beta = try await stack.makeTenant("Beta")
            // Beta's keys get a bucket of two calls (1 a second, 2 s of burst).
            _ = try await stack.admin(stack.operatorKey).setTenantLimits(
                SetTenantLimitsRequest(tenantId: beta.tenant.id, overrides: CallLimits(keyCallsPerSecond: 1))
            )
            let issued = try await stack.admin(beta.bootstrapKey).issueApiKey(IssueApiKeyRequest(userId: try #require(beta.users[.partner]).id))
            let keyID = try #require(issued.apiKey?.id)
            try pki.issueClient("alpha-partner", tenants: [alpha.tenant.id])
            func leads(_ tls: ClientTLS) -> LeadServiceClient {
                LeadServiceClient(RPCClient(configuration: ClientConfiguration(port: stack.port, apiKey: issued.secret, retry: .none, tls: tls)))
            }
            let throughAlpha = leads(try pki.client(certificate: "alpha-partner"))
            let unbound = leads(try pki.client(certificate: "setup"))
            func cached() -> Bool {
                stack.gate.credentials.credential(keyID: keyID, generation: stack.controlPlane.accessGeneration) != nil
            }

            for _ in 0..<5 {
                #expect(await failure { try await throughAlpha.listLeads(ListLeadsRequest()) }?.details.reason == "CERTIFICATE_TENANT_MISMATCH")
            }
            #expect(!cached(), "a refused key was cached")
            // Uses wait up to a second for their batch: written now, a recorded one shows.
            await stack.gate.flushKeyUses()
            #expect(try await stack.controlPlane.key(keyID)?.lastUsedTimeMs == 0, "a refused key's use was recorded")
            // Its bucket is whole: its first two calls on a connection bound to no tenant
            // are served, whatever the clock did meanwhile (refilling only adds).
            _ = try await unbound.listLeads(ListLeadsRequest())
            _ = try await unbound.listLeads(ListLeadsRequest())
            #expect(cached())
            // Those calls do leave their trace: the use is recorded (by a detached task,
            // so looked for a while), and the bucket empties.
            var recorded = false
            for _ in 0..<500 where !recorded {
                recorded = try await stack.controlPlane.key(keyID)?.lastUsedTimeMs != 0
                if !recorded { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(recorded)
            var limited = false
            for _ in 0..<50 where !limited {
                limited = await failure { try await unbound.listLeads(ListLeadsRequest()) }?.details.reason == "RATE_LIMITED"
            }
            #expect(limited)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    @Test(.timeLimit(.minutes(3))) func sfadReloadsItsCertificateOnSIGHUPWithoutDroppingConnections() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: builtExecutable("sfad")), "build sfad first: swift build")
        let pki = try TestCertificates()
        defer { pki.remove() }
        let log = pki.path("sfad.log")
        let server = try await SfadProcess(
            path: builtExecutable("sfad"),
            dataDirectory: pki.path("data"),
            arguments: ["--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key")],
            logFile: log
        )
        defer { server.stop() }
        func check(_ tls: ClientTLS) async throws -> ServingStatus {
            let connection = try await RPCConnection.connect(host: "127.0.0.1", port: server.port, tls: tls)
            do {
                let status = try await HealthServiceClient(connection).check(HealthCheckRequest()).status
                await connection.close()
                return status
            } catch {
                await connection.close()
                throw error
            }
        }
        let open = try await RPCConnection.connect(host: "127.0.0.1", port: server.port, tls: try pki.client())
        #expect(try await HealthServiceClient(open).check(HealthCheckRequest()).status == .serving)

        try pki.makeAuthority("new-ca")
        try pki.issue("renewed", by: "new-ca", names: "IP:127.0.0.1", usage: "serverAuth")
        await #expect(throws: RPCError.self) { try await check(try pki.client(ca: "new-ca")) }
        // Renamed into place, as a certificate manager does, so sfad never reads half a file.
        for suffix in ["pem", "key"] {
            try FileManager.default.copyItem(atPath: pki.path("renewed." + suffix), toPath: pki.path("next." + suffix))
            _ = rename(pki.path("next." + suffix), pki.path("server." + suffix))
        }
        server.signal(SIGHUP)
        var reloaded = false
        for _ in 0..<500 where !reloaded {
            reloaded = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("TLS certificate reloaded")
            if !reloaded { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(reloaded, "sfad did not log the reload")

        let renewed = try pki.client(ca: "new-ca")
        #expect(try await check(renewed) == .serving)
        await #expect(throws: RPCError.self) { try await check(try pki.client()) }
        #expect(try await HealthServiceClient(open).check(HealthCheckRequest()).status == .serving, "the open connection was dropped")
        await open.close()
    }

    @Test(.timeLimit(.minutes(3))) func sfactlSpeaksTLSWithTheCAItIsGiven() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: builtExecutable("sfad")), "build sfad first: swift build")
        let pki = try TestCertificates()
        defer { pki.remove() }
        try pki.makeAuthority("other-ca")
        let server = try await SfadProcess(
            path: builtExecutable("sfad"),
            dataDirectory: pki.path("data"),
            arguments: ["--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key")]
        )
        defer { server.stop() }
        let served = try await runShell("SFACTL --port \(server.port) --ca '\(pki.path("ca.pem"))' health")
        #expect(served.status == 0, "\(served.error)")
        #expect(served.output.contains("SERVING"))
        let refused = try await runShell("SFACTL --port \(server.port) --ca '\(pki.path("other-ca.pem"))' health")
        #expect(refused.status != 0)
        #expect(refused.error.contains("TLS handshake"))
    }

    @Test func sfactlRefusesPlaintextToAHostOtherThanLoopbackUnlessAskedTo() async throws {
        let data = NSTemporaryDirectory() + "sfa-plain-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: data)
        defer { server.stop() }
        // 0.0.0.0 is not a loopback address, yet on Linux it dials this machine: the
        // refusal comes from the client's check, and --plaintext then reaches sfad.
        let refused = try await runShell("SFACTL --host 0.0.0.0 --port \(server.port) health")
        #expect(refused.status != 0)
        #expect(refused.error.contains("--plaintext"))
        let asked = try await runShell("SFACTL --host 0.0.0.0 --port \(server.port) --plaintext health")
        #expect(asked.status == 0, "\(asked.error)")
        #expect(asked.output.contains("SERVING"))
        let both = try await runShell("SFACTL --host 0.0.0.0 --port \(server.port) --plaintext --tls health")
        #expect(both.status != 0)
        #expect(both.error.contains("--plaintext goes with none of"))
    }

    @Test func sfadRefusesPlaintextOnANonLoopbackAddressUnlessAllowed() async throws {
        // Refused before the data directory is touched.
        let data = NSTemporaryDirectory() + "sfa-never-" + UUID().uuidString
        let refused = try await runShell("SFAD --host 0.0.0.0 --port 0 --data-dir '\(data)'", seconds: 30)
        #expect(refused.status != 0)
        #expect(refused.error.contains("--allow-plaintext"))
        // A name that only looks like a loopback address is not one.
        let lookalike = try await runShell("SFAD --host 127.0.0.1.example --port 0 --data-dir '\(data)'", seconds: 30)
        #expect(lookalike.status != 0)
        #expect(lookalike.error.contains("--allow-plaintext"))
        let partial = try await runShell("SFAD --tls-cert /nonexistent.pem --port 0 --data-dir '\(data)'", seconds: 30)
        #expect(partial.status != 0)
        #expect(partial.error.contains("TLS needs both --tls-cert and --tls-key"))
        #expect(!FileManager.default.fileExists(atPath: data))
    }

    @Test func sfadRefusesThePlaintextGRPCEndpointBesideATLSListener() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        let data = NSTemporaryDirectory() + "sfa-never-" + UUID().uuidString
        let refused = try await runShell(
            "SFAD --tls-cert '\(pki.path("server.pem"))' --tls-key '\(pki.path("server.key"))' --grpc-port 0 --port 0 --data-dir '\(data)'",
            seconds: 30
        )
        #expect(refused.status != 0)
        #expect(refused.error.contains("plaintext only"), "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: data))
    }
}

extension TestCertificates {
    /// A client trusting the CA `ca`, presenting `certificate` if given.
    func client(ca: String = "ca", certificate: String? = nil) throws -> ClientTLS {
        try ClientTLS(
            configuration: ClientTLSConfiguration(
                certificateAuthorityFile: path(ca + ".pem"),
                certificateChainFile: certificate.map { path($0 + ".pem") },
                privateKeyFile: certificate.map { path($0 + ".key") }
            )
        )
    }
}
