import Foundation
import SFAClient
import SFAStorage
import SFAStubs
import SFATransport
import Testing

/// Ten thousand idle connections to a real `sfad` (its own process, so the test's
/// descriptors and the server's each stay under the limit): the server keeps answering
/// others, and what it holds per connection is measured. A measurement that keeps both
/// cores busy for seconds, which would upset the suite's timing-bound tests running
/// beside it: run it alone, `SFA_IDLE_CONNECTIONS_TEST=1 swift test --skip-build
/// --filter IdleConnectionsTests` (docs/security.md).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SFA_IDLE_CONNECTIONS_TEST"] != nil, "set SFA_IDLE_CONNECTIONS_TEST=1 to run"))
struct IdleConnectionsTests {
    @Test(.timeLimit(.minutes(5))) func tenThousandIdleConnectionsLeaveSfadResponsiveWithBoundedMemory() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: builtExecutable("sfad")), "build sfad first: swift build")
        let connections = 10_000
        // The test process holds a descriptor per connection, besides its own.
        guard DescriptorLimit.raiseToHardLimit() >= connections + 1_000 else {
            print("skipped: the descriptor limit (ulimit -Hn) is below \(connections + 1_000)")
            return
        }
        let directory = NSTemporaryDirectory() + "sfa-idle-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await SfadProcess(
            path: builtExecutable("sfad"),
            dataDirectory: directory + "/data",
            arguments: ["--max-connections", "\(connections + 100)"]
        )
        defer { server.stop() }
        let operatorKey = try #require(server.operatorKey)
        let admin = AdminServiceClient(RPCClient(configuration: ClientConfiguration(port: server.port, apiKey: operatorKey, retry: .none)))
        _ = try await admin.getServerStats(GetServerStatsRequest())
        let before = try residentKiB(of: server.process.processIdentifier)

        let opening = ContinuousClock.now
        var idle: [RPCConnection] = []
        // A hundred at a time: the listen backlog is 256.
        for _ in 0..<(connections / 100) {
            idle += try await withThrowingTaskGroup(of: RPCConnection.self) { group in
                for _ in 0..<100 { group.addTask { try await RPCConnection.connect(host: "127.0.0.1", port: server.port) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let opened = ContinuousClock.now - opening
        var open = 0
        for _ in 0..<500 {
            open = Int(try await admin.getServerStats(GetServerStatsRequest()).openConnections)
            if open > connections { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(open == connections + 1, "the idle connections and the operator's")
        let after = try residentKiB(of: server.process.processIdentifier)

        let health = HealthServiceClient(RPCClient(configuration: ClientConfiguration(port: server.port, retry: .none)))
        let start = ContinuousClock.now
        for _ in 0..<20 { #expect(try await health.check(HealthCheckRequest()).status == .serving) }
        let answered = ContinuousClock.now - start
        let perConnection = Double(after - before) / Double(connections)
        print(
            "\(connections) idle connections opened in \(opened); sfad RSS \(before / 1024) → \(after / 1024) MiB "
                + "(\(String(format: "%.1f", perConnection)) KiB each); 20 health checks beside them in \(answered)"
        )
        // Each idle connection holds its channel, pipeline and buffers: a few KiB, not a frame.
        #expect(perConnection < 64)
        await withTaskGroup(of: Void.self) { group in
            for connection in idle { group.addTask { await connection.close() } }
        }
    }

    /// VmRSS of a process, in KiB.
    private func residentKiB(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }
}
