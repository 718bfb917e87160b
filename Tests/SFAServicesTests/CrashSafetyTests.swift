import Foundation
import GRDB
import SFAClient
import SFAStubs
import SFATestSupport
import Synchronization
import Testing

/// `sfad` as a child process, killed with SIGKILL in the middle of a write load:
/// after a restart every acknowledged write is there and every database passes
/// `PRAGMA integrity_check`.
@Suite struct CrashSafetyTests {
    @Test(.timeLimit(.minutes(5))) func acknowledgedWritesSurviveSIGKILL() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: builtExecutable("sfad")), "build sfad first: swift build")
        let directory = NSTemporaryDirectory() + "sfa-crash-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var server = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: directory)
        let operatorKey = try #require(server.operatorKey)
        let operatorClient = RPCClient(configuration: ClientConfiguration(port: server.port, apiKey: operatorKey, retry: .none))
        let admin = AdminServiceClient(operatorClient)
        var tenantIDs: [String] = []
        for index in 0..<4 {
            tenantIDs.append(try await admin.createTenant(CreateTenantRequest(tenant: Tenant(name: "Crash \(index)"))).id)
        }

        // 8 clients write users (control plane + the tenant's audit log) until 2,000 are acknowledged,
        // then the server is killed while they are still writing.
        let acknowledged = Acknowledged()
        let target = 2000
        let port = server.port
        let running = server
        let tenantList = tenantIDs
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let client = RPCClient(configuration: ClientConfiguration(port: port, apiKey: operatorKey, retry: .none))
                    let workerAdmin = AdminServiceClient(client)
                    var index = 0
                    while true {
                        let tenantID = tenantList[(worker + index) % tenantList.count]
                        let request = CreateUserRequest(
                            tenantId: tenantID,
                            user: User(displayName: "User \(worker)-\(index)", email: "u\(worker)-\(index)@crash.example", role: .rep)
                        )
                        index += 1
                        guard let user = try? await workerAdmin.createUser(request) else { break }  // killed
                        let count = acknowledged.append(tenant: tenantID, user: user.id)
                        if count >= target + 200 { break }
                    }
                    await client.close()
                }
            }
            group.addTask {
                while acknowledged.count < target { try await Task.sleep(for: .milliseconds(5)) }
                running.kill()
            }
            try await group.waitForAll()
        }
        await operatorClient.close()
        let writes = acknowledged.all
        #expect(writes.count >= target)

        // Restart on the same data directory: every acknowledged user is there.
        server = try await SfadProcess(path: builtExecutable("sfad"), dataDirectory: directory)
        #expect(server.operatorKey == nil, "a restart must not create another operator")
        let client = RPCClient(configuration: ClientConfiguration(port: server.port, apiKey: operatorKey, retry: .none))
        let restarted = AdminServiceClient(client)
        for tenantID in tenantIDs {
            var present: Set<String> = []
            var token = ""
            repeat {
                let page = try await restarted.listUsers(ListUsersRequest(tenantId: tenantID, pageSize: 500, pageToken: token))
                present.formUnion(page.users.map(\.id))
                token = page.nextPageToken
            } while !token.isEmpty
            let expected = writes.filter { $0.tenant == tenantID }.map(\.user)
            let lost = expected.filter { !present.contains($0) }
            #expect(lost.isEmpty, "tenant \(tenantID) lost \(lost.count) acknowledged users")
        }
        await client.close()
        server.stop()

        // Every database file passes integrity_check.
        var files = [directory + "/control.sqlite"]
        files += try FileManager.default.contentsOfDirectory(atPath: directory + "/tenants")
            .filter { $0.hasSuffix(".sqlite") }.map { directory + "/tenants/" + $0 }
        #expect(files.count == 5)
        for file in files {
            let queue = try DatabaseQueue(path: file)
            let verdict = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
            #expect(verdict == "ok", "\(file)")
            try queue.close()
        }
    }
}

/// Users whose creation the server acknowledged, from many tasks.
final class Acknowledged: Sendable {
    private let writes = Mutex<[(tenant: String, user: String)]>([])

    /// Records one; returns how many there are.
    func append(tenant: String, user: String) -> Int {
        writes.withLock { list in
            list.append((tenant, user))
            return list.count
        }
    }

    var count: Int { writes.withLock { $0.count } }
    var all: [(tenant: String, user: String)] { writes.withLock { $0 } }
}

/// A running `sfad` on a free loopback port.
struct SfadProcess: Sendable {
    let process: ChildProcess
    let port: Int
    /// The operator key printed on first start; nil on later starts.
    let operatorKey: String?

    /// Starts sfad and waits for it to listen, asleep: not blocking a thread of the
    /// cooperative pool, which on two cores would stall every other test of the
    /// process meanwhile.
    ///
    /// - Parameters:
    ///   - arguments: more flags for sfad.
    ///   - logFile: where its log (standard error) goes and stays, for the test to
    ///     read; by default a file removed once sfad listens.
    init(path: String, dataDirectory: String, arguments: [String] = [], logFile: String? = nil) async throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        // Output goes to files that are polled, so that nothing blocks on a pipe.
        let stdoutPath = dataDirectory + "/../" + UUID().uuidString + ".out"
        let stderrPath = logFile ?? dataDirectory + "/../" + UUID().uuidString + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: stdoutPath)
            if logFile == nil { try? FileManager.default.removeItem(atPath: stderrPath) }
        }
        process = try ChildProcess(
            path, ["--port", "0", "--data-dir", dataDirectory, "--log-level", "info"] + arguments, output: stdoutPath, error: stderrPath
        )
        var port: Int?
        var stderrText = ""
        let deadline = Date().addingTimeInterval(60)
        // sfad prints keys on stdout before it listens, and logs "listening address=…:PORT" on stderr.
        while port == nil, Date() < deadline, process.isRunning {
            stderrText = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            if let line = stderrText.split(separator: "\n").first(where: { $0.contains("listening") }),
                let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
                let portText = address.split(separator: ":").last
            {
                port = Int(portText)
            } else {
                do { try await Task.sleep(for: .milliseconds(20)) } catch { break }  // cancelled: ended below
            }
        }
        guard let port else {
            // Not left running for the rest of the suite.
            process.terminate(SIGKILL)
            process.waitUntilExit()
            throw SfadError(message: "sfad did not start: \(stderrText)")
        }
        self.port = port
        // Standard output is a file, not a terminal: a new operator key goes to a file of
        // mode 0600, and standard output names it.
        let stdoutText = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        let keyFile = dataDirectory + "/operator-key.txt"
        let keyText = stdoutText.contains("written to \(keyFile)") ? (try? String(contentsOfFile: keyFile, encoding: .utf8)) ?? "" : ""
        operatorKey = keyText.split(separator: "\n").first { $0.hasPrefix("sfa_key_") }.map(String.init)
    }

    func kill() {
        process.terminate(SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait; nothing when it has exited already (so that a `defer` may
    /// stop it again after a test stopped it).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Sends `signal` (SIGHUP: reload the TLS certificate).
    func signal(_ signal: Int32) {
        process.terminate(signal)
    }
}

struct SfadError: Error {
    var message: String
}
