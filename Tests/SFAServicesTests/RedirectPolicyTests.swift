import SFAClient
import Testing

/// Which hosts a client follows redirects to (docs/protocol.md §5.3): its own host,
/// and those `redirectHosts` names, exactly or by domain.
@Suite struct RedirectPolicyTests {
    @Test func byDefaultOnlyTheSeedHostIsFollowed() {
        let configuration = ClientConfiguration(host: "Node-A.example.com", port: 7411)
        #expect(configuration.allowsRedirect(to: "node-a.example.com"))
        #expect(!configuration.allowsRedirect(to: "node-b.example.com"))
        #expect(!configuration.allowsRedirect(to: "attacker.example.net"))
        #expect(!configuration.allowsRedirect(to: "127.0.0.1"))
    }

    @Test func listedHostsAndDomainsAreFollowedAndNothingBeyondThem() {
        let configuration = ClientConfiguration(host: "10.0.0.11", redirectHosts: ["10.0.0.12", "*.nodes.example.com"])
        #expect(configuration.allowsRedirect(to: "10.0.0.12"))
        #expect(configuration.allowsRedirect(to: "b.nodes.example.com"))
        #expect(configuration.allowsRedirect(to: "B.Nodes.Example.com"))
        // The domain itself, a name merely ending alike, and other hosts are not in it.
        #expect(!configuration.allowsRedirect(to: "nodes.example.com"))
        #expect(!configuration.allowsRedirect(to: "evilnodes.example.com"))
        #expect(!configuration.allowsRedirect(to: "10.0.0.13"))
    }
}
