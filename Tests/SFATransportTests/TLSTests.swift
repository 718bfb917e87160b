import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SFAClient
import SFAServer
import SFAStubs
import SFATestSupport
import SFATransport
import Testing

/// The listener with TLS, over loopback with the real client and certificates made
/// by `openssl` for each test.
@Suite struct TLSTests {
    private func server(_ pki: TestCertificates, clientCertificates: ServerTLSConfiguration.ClientCertificates = .off) throws -> ServerConfiguration {
        let tls = try ServerTLS(
            configuration: ServerTLSConfiguration(
                certificateChainFile: pki.path("server.pem"),
                privateKeyFile: pki.path("server.key"),
                clientCertificates: clientCertificates,
                clientCertificateAuthorityFile: clientCertificates == .off ? nil : pki.path("ca.pem")
            )
        )
        return ServerConfiguration(tls: tls)
    }

    private func client(_ pki: TestCertificates, ca: String = "ca", certificate: String? = nil) throws -> ClientTLS {
        try ClientTLS(
            configuration: ClientTLSConfiguration(
                certificateAuthorityFile: pki.path(ca + ".pem"),
                certificateChainFile: certificate.map { pki.path($0 + ".pem") },
                privateKeyFile: certificate.map { pki.path($0 + ".key") }
            )
        )
    }

    private func getLead(port: Int, tls: ClientTLS?, id: String = "lead-1") async throws -> String {
        let connection = try await RPCConnection.connect(host: "127.0.0.1", port: port, tls: tls)
        do {
            let lead = try await LeadServiceClient(connection).getLead(GetLeadRequest(id: id))
            await connection.close()
            return lead.id
        } catch {
            await connection.close()
            throw error
        }
    }

    @Test func aCallOverTLSRoundTripsWithTheServerCertificateVerified() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try await withTestServer(configuration: try server(pki), services: [TestService()]) { _, port in
            let tls = try client(pki)
            #expect(try await getLead(port: port, tls: tls) == "lead-1")
            // The pooled client too, by the name the certificate gives besides the address.
            let pooled = RPCClient(configuration: ClientConfiguration(host: "localhost", port: port, tls: tls))
            #expect(try await LeadServiceClient(pooled).getLead(GetLeadRequest(id: "lead-2")).id == "lead-2")
            await pooled.close()
        }
    }

    @Test func aPlaintextClientIsRefusedAndTheServerGoesOnServingTLS() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try await withTestServer(configuration: try server(pki), services: [TestService()]) { _, port in
            await #expect(throws: RPCError.self) { try await getLead(port: port, tls: nil) }
            let tls = try client(pki)
            #expect(try await getLead(port: port, tls: tls) == "lead-1")
        }
    }

    @Test func aServerCertificateFromAnotherCAFailsTheHandshake() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try pki.makeAuthority("other-ca")
        try await withTestServer(configuration: try server(pki), services: [TestService()]) { _, port in
            let error = await #expect(throws: RPCError.self) { try await getLead(port: port, tls: try client(pki, ca: "other-ca")) }
            #expect(error?.code == .unavailable)
            #expect(error?.details.reason == "TLS_HANDSHAKE_FAILED")
        }
    }

    @Test func aRequiredClientCertificateMustBePresentedAndSignedByTheClientCA() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try pki.issueClient("partner")
        try pki.makeAuthority("other-ca")
        try pki.issueClient("stranger", by: "other-ca")
        try await withTestServer(configuration: try server(pki, clientCertificates: .required), services: [TestService()]) { _, port in
            // Under TLS 1.3 the client finishes its handshake before the server checks its
            // certificate, so the refusal may come with the first call instead.
            await #expect(throws: RPCError.self) { try await getLead(port: port, tls: try client(pki)) }
            await #expect(throws: RPCError.self) { try await getLead(port: port, tls: try client(pki, certificate: "stranger")) }
            let partner = try client(pki, certificate: "partner")
            #expect(try await getLead(port: port, tls: partner) == "lead-1")
        }
    }

    @Test func anExpiredCertificateIsRefusedOnEitherSide() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try pki.issueClient("expired-partner", days: -1)
        try pki.issueClient("partner")
        try await withTestServer(configuration: try server(pki, clientCertificates: .required), services: [TestService()]) { _, port in
            await #expect(throws: RPCError.self) { try await getLead(port: port, tls: try client(pki, certificate: "expired-partner")) }
            let partner = try client(pki, certificate: "partner")
            #expect(try await getLead(port: port, tls: partner) == "lead-1")
        }
        // The server's own certificate expired: clients refuse it.
        try pki.issue("server", by: "ca", names: "IP:127.0.0.1", usage: "serverAuth", days: -1)
        try await withTestServer(configuration: try server(pki), services: [TestService()]) { _, port in
            let error = await #expect(throws: RPCError.self) { try await getLead(port: port, tls: try client(pki)) }
            #expect(error?.details.reason == "TLS_HANDSHAKE_FAILED")
        }
    }

    @Test func anOptionalClientCertificateMayBeLeftOutButNotForged() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try pki.makeAuthority("other-ca")
        try pki.issueClient("stranger", by: "other-ca")
        try await withTestServer(configuration: try server(pki, clientCertificates: .optional), services: [TestService()]) { _, port in
            let anonymous = try client(pki)
            #expect(try await getLead(port: port, tls: anonymous) == "lead-1")
            await #expect(throws: RPCError.self) { try await getLead(port: port, tls: try client(pki, certificate: "stranger")) }
        }
    }

    @Test func aReloadServesTheNewCertificateToNewConnectionsAndKeepsOpenOnes() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        let configuration = try server(pki)
        let tls = try #require(configuration.tls)
        try await withTestServer(configuration: configuration, services: [TestService()]) { _, port in
            let open = try await RPCConnection.connect(host: "127.0.0.1", port: port, tls: try client(pki))
            let inFlight = Task { try await LeadServiceClient(open).getLead(GetLeadRequest(id: "sleep:300")) }

            // A renewed certificate from a new CA, written over the old files.
            try pki.makeAuthority("new-ca")
            try pki.issue("renewed", by: "new-ca", names: "IP:127.0.0.1", usage: "serverAuth")
            await #expect(throws: RPCError.self) { try await getLead(port: port, tls: try client(pki, ca: "new-ca")) }
            for suffix in ["pem", "key"] {
                try FileManager.default.removeItem(atPath: pki.path("server." + suffix))
                try FileManager.default.copyItem(atPath: pki.path("renewed." + suffix), toPath: pki.path("server." + suffix))
            }
            try tls.reload()

            let renewed = try client(pki, ca: "new-ca")
            #expect(try await getLead(port: port, tls: renewed) == "lead-1")
            await #expect(throws: RPCError.self) { try await getLead(port: port, tls: try client(pki)) }
            // The connection made before the reload finished its call and takes more.
            #expect(try await inFlight.value.id == "sleep:300")
            #expect(try await LeadServiceClient(open).getLead(GetLeadRequest(id: "after")).id == "after")
            await open.close()
        }
    }

    @Test func aReloadFromFilesThatCannotBeUsedKeepsTheCertificateInUse() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        let configuration = try server(pki)
        let tls = try #require(configuration.tls)
        try await withTestServer(configuration: configuration, services: [TestService()]) { _, port in
            try "not a certificate".write(toFile: pki.path("server.pem"), atomically: true, encoding: .utf8)
            #expect(throws: TLSFileError.self) { try tls.reload() }
            let current = try client(pki)
            #expect(try await getLead(port: port, tls: current) == "lead-1")
        }
    }

    @Test func aClientCertificateNamesTheTenantsOfItsURIs() throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try pki.issueClient("bound", tenants: ["t-1", "t-2"])
        try pki.issueClient("unbound")
        let bound = try #require(try NIOSSLCertificate.fromPEMFile(pki.path("bound.pem")).first)
        let unbound = try #require(try NIOSSLCertificate.fromPEMFile(pki.path("unbound.pem")).first)
        #expect(ClientCertificateTenants(certificate: bound).tenantIDs == ["t-1", "t-2"])
        #expect(ClientCertificateTenants(certificate: unbound).tenantIDs.isEmpty)
        #expect(!ClientCertificateTenants(certificate: unbound).binds)
    }

    @Test func aTenantURNMatchesItsSchemeAndNamespaceInAnyCase() throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try pki.issue("shouting", by: "ca", names: "URI:URN:SalesWire:tenant:t-1", usage: "clientAuth")
        let certificate = try #require(try NIOSSLCertificate.fromPEMFile(pki.path("shouting.pem")).first)
        #expect(ClientCertificateTenants(certificate: certificate) == ClientCertificateTenants(tenantIDs: ["t-1"]))
        // The tenant id is ours and compares exactly.
        #expect(ClientCertificateTenants(uris: ["urn:saleswire:tenant:T-1"]).tenantIDs == ["T-1"])
    }

    @Test func aMalformedSaleswireURNBindsTheCertificateToNoTenant() throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        try pki.issue("odd", by: "ca", names: "URI:urn:saleswire:tenant:t-1,URI:urn:saleswire:tenant:", usage: "clientAuth")
        let certificate = try #require(try NIOSSLCertificate.fromPEMFile(pki.path("odd.pem")).first)
        let denyAll = ClientCertificateTenants(tenantIDs: [], binds: true)
        #expect(ClientCertificateTenants(certificate: certificate) == denyAll)
        for malformed in ["urn:saleswire:tenant:", "urn:saleswire:", "urn:saleswire", "URN:saleswire:partner:t-1", "urn:saleswire:Tenant:t-1", "urn:saleswire:tenant:t 1"] {
            #expect(ClientCertificateTenants(uris: ["urn:saleswire:tenant:t-2", malformed]) == denyAll, "\(malformed)")
        }
        // Other URIs are not ours and leave the certificate unbound.
        #expect(!ClientCertificateTenants(uris: ["https://partner.example/", "urn:example:tenant:t-1"]).binds)
    }

    @Test func aConnectionThatNeverCompletesTheHandshakeIsClosed() async throws {
        let pki = try TestCertificates()
        defer { pki.remove() }
        var configuration = try server(pki)
        let tls = try #require(configuration.tls)
        configuration.tls = try ServerTLS(
            configuration: ServerTLSConfiguration(
                certificateChainFile: tls.configuration.certificateChainFile,
                privateKeyFile: tls.configuration.privateKeyFile,
                // Short for the test's sake, so the real client's handshake below is tried
                // up to three times; far below the 5-minute idle timeout and the 60 s
                // bound of the wait.
                handshakeTimeout: .seconds(5)
            )
        )
        try await withTestServer(configuration: configuration, services: [TestService()]) { _, port in
            // A raw TCP client that sends nothing: only the handshake timeout can close it
            // (the idle timeout is minutes).
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            let closedByServer = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await channel.closeFuture.get(); return true }
                group.addTask { try await Task.sleep(for: .seconds(60)); return false }
                let first = try await group.next() ?? false
                channel.close(promise: nil)
                group.cancelAll()
                try? await group.waitForAll()
                return first
            }
            #expect(closedByServer)
            // The server goes on serving TLS. Three tries: on a loaded machine the real
            // client's own handshake may outlast the 5 s timeout too.
            var answered: String?
            var lastError: (any Error)?
            for _ in 1...3 where answered == nil {
                do { answered = try await getLead(port: port, tls: client(pki)) } catch { lastError = error }
            }
            #expect(answered == "lead-1", "\(String(describing: lastError))")
        }
    }

    @Test func onlyLoopbackAddressesAreTakenForLoopback() {
        for host in ["localhost", "127.0.0.1", "127.8.9.10", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"] {
            #expect(LoopbackAddress.contains(host), "\(host)")
        }
        for host in ["0.0.0.0", "::", "10.0.0.1", "127.0.0.1.example", "127.evil.example", "128.0.0.1", "::2", "::ffff:10.0.0.1"] {
            #expect(!LoopbackAddress.contains(host), "\(host)")
        }
    }
}
