import Foundation
import SFAClient
import SFAStubs
import SFATestSupport
import Testing

/// `sfad` processes on loopback sharing one PostgreSQL control plane and one handoff
/// directory, as a cluster's nodes do (docs/scaling.md); stopped and removed by ``stop()``.
final class ClusterNodes: Sendable {
    struct Node: Sendable {
        var id: String
        var port: Int
        /// The admin HTTP listener's port (/readyz).
        var adminPort: Int
        var address: String { "127.0.0.1:\(port)" }
        var process: ChildProcess
        var log: String
    }

    let directory: String
    let nodes: [Node]
    /// The control plane's URL.
    let controlPlane: String
    /// The operator key the first node printed.
    let operatorKey: String
    let server: PostgresTestServer
    /// The control plane's database.
    let database: String

    private init(directory: String, nodes: [Node], controlPlane: String, operatorKey: String, server: PostgresTestServer, database: String) {
        self.directory = directory
        self.controlPlane = controlPlane
        self.nodes = nodes
        self.operatorKey = operatorKey
        self.server = server
        self.database = database
    }

    /// Starts one node per id on a new database of `server`, one after the other (the
    /// first creates the operator).
    static func start(_ ids: [String], server: PostgresTestServer) async throws -> ClusterNodes {
        let controlPlane = try await server.database()
        let directory = NSTemporaryDirectory() + "sfa-cluster-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/handoff", withIntermediateDirectories: true)
        var nodes: [Node] = []
        do {
            for id in ids {
                nodes.append(try await startServing(id, directory: directory, controlPlane: controlPlane))
            }
            let keyFile = directory + "/\(ids[0])/operator-key.txt"
            let text = try String(contentsOfFile: keyFile, encoding: .utf8)
            let key = try #require(text.split(separator: "\n").last(where: { $0.hasPrefix("sfa_") }).map(String.init))
            let database = String(controlPlane.split(separator: "/").last!)
            return ClusterNodes(directory: directory, nodes: nodes, controlPlane: controlPlane, operatorKey: key, server: server, database: database)
        } catch {
            for node in nodes { stop(node) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Starts node `id` and waits until it serves. A node's ports are picked before it
    /// starts (its address is advertised), so another test running in parallel may bind
    /// one first: a node that exits for that is started again on new ports, up to
    /// three times.
    private static func startServing(_ id: String, directory: String, controlPlane: String) async throws -> Node {
        var attempt = 1
        while true {
            let node = try startNode(id, directory: directory, controlPlane: controlPlane)
            do {
                try await waitUntilServing(node)
                return node
            } catch {
                // The log is appended to: one refusal to bind per attempt so far.
                let log = (try? String(contentsOfFile: node.log, encoding: .utf8)) ?? ""
                let refusals = log.components(separatedBy: "Address already in use").count - 1
                guard attempt < 3, !node.process.isRunning, refusals == attempt else { throw error }
                attempt += 1
            }
        }
    }

    private static func startNode(_ id: String, directory: String, controlPlane: String, instance: String = "") throws -> Node {
        let port = try freeLoopbackPort()
        let adminPort = try freeLoopbackPort()
        let log = directory + "/\(id)\(instance).log"
        let arguments = [
            "--port", "\(port)", "--data-dir", directory + "/" + id + instance, "--control-plane", controlPlane,
            "--admin-address", "127.0.0.1:\(adminPort)",
            "--node-id", id, "--handoff-dir", directory + "/handoff", "--log-level", "notice",
        ]
        let process = try ChildProcess(builtExecutable("sfad"), arguments, output: log, error: log)
        return Node(id: id, port: port, adminPort: adminPort, process: process, log: log)
    }

    /// Waits (bounded: 60 s, as a whole suite at a load average of 30 on two cores
    /// took more than 30 s to start one) until the node answers a health check.
    private static func waitUntilServing(_ node: Node) async throws {
        let client = RPCClient(configuration: ClientConfiguration(port: node.port, retry: .none, maximumRedirects: 0))
        defer { Task { await client.close() } }
        for _ in 0..<600 {
            guard node.process.isRunning else { break }
            if (try? await HealthServiceClient(client).check(HealthCheckRequest())) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = (try? String(contentsOfFile: node.log, encoding: .utf8)) ?? ""
        throw ProcessLaunchError("node \(node.id) did not start serving:\n\(log)")
    }

    func node(_ id: String) -> Node { nodes.first { $0.id == id }! }

    /// A client of node `id` with `key`, following redirects unless told otherwise.
    func client(_ id: String, _ key: String, redirects: Int = 20) -> RPCClient {
        RPCClient(configuration: ClientConfiguration(port: node(id).port, apiKey: key, retry: .none, maximumRedirects: redirects))
    }

    /// Runs `sql` on the control plane's database, as an operator would with psql.
    func directory(_ sql: String) async throws {
        let (status, output) = try await server.psql(database: database, sql)
        guard status == 0 else { throw ProcessLaunchError("psql failed: \(output)") }
    }

    /// Starts another process with node `id`'s id (its own port and data directory)
    /// and waits (bounded) until it serves or exits.
    /// - Returns: the process, and whether it serves.
    func startAnother(_ id: String, instance: String) async throws -> (node: Node, serving: Bool) {
        let node = try Self.startNode(id, directory: directory, controlPlane: controlPlane, instance: instance)
        do {
            try await Self.waitUntilServing(node)
            return (node, true)
        } catch {
            for _ in 0..<600 where node.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            return (node, false)
        }
    }

    /// Stops node `id`'s process (SIGTERM: it drains and releases its lease).
    func stop(_ id: String) {
        Self.stop(node(id))
    }

    func stop() {
        for node in nodes { Self.stop(node) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func stop(_ node: Node) {
        if node.process.isRunning { node.process.terminate() }
        node.process.waitUntilExit()
    }
}
