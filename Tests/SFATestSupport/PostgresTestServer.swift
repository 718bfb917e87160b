import Foundation
import Synchronization

/// A PostgreSQL server of Debian's `postgresql` package, started for the tests of
/// one test process: `initdb` and `pg_ctl start` in a temporary directory, listening
/// on loopback only, on a free port, trusting local connections; stopped when the
/// process exits. Each test takes a database of its own (``database()``). TLS is on
/// (a server certificate for 127.0.0.1 and localhost from ``TestCertificates``, its
/// CA at ``certificateAuthority``); connections choose it (`sslmode`) or not.
///
/// PostgreSQL refuses to run as root; when the tests run as root, its commands run
/// as the `postgres` user (`runuser`), owner of the directory.
public final class PostgresTestServer: Sendable {
    /// Where Debian puts the server's programs; the newest version is used.
    public static let binariesPattern = "/usr/lib/postgresql/*/bin"
    public let port: Int
    /// The PEM file of the CA that signed the server's certificate.
    public let certificateAuthority: String
    let directory: String
    let binaries: String

    private init(port: Int, certificateAuthority: String, directory: String, binaries: String) {
        self.port = port
        self.certificateAuthority = certificateAuthority
        self.directory = directory
        self.binaries = binaries
    }

    /// The server of this test process, started on first use; nil when Debian's
    /// binaries are absent (the caller skips, naming ``absentMessage``).
    public static func shared() async throws -> PostgresTestServer? {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try startOnce() }) }.start()
        }
    }

    /// Whether Debian's PostgreSQL server programs are installed.
    public static var isInstalled: Bool { findBinaries() != nil }

    /// Why tests that need PostgreSQL did not run.
    public static let absentMessage =
        "PostgreSQL's initdb and pg_ctl are not in \(binariesPattern): install Debian's postgresql package (.ci/run does)"

    /// A new empty database on the server.
    /// - Returns: its `postgres://` URL.
    public func database() async throws -> String {
        let name = "sfa_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let (status, output) = try await psql(database: "postgres", "CREATE DATABASE \(name)")
        guard status == 0 else { throw ProcessLaunchError("CREATE DATABASE failed: \(output)") }
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    /// Runs `sql` with `psql` on `database`.
    /// - Returns: psql's exit status and what it printed.
    public func psql(database: String, _ sql: String) async throws -> (status: Int32, output: String) {
        let arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql]
        let executable = binaries + "/psql"
        return try await onThread { try runToEnd(executable, arguments) }
    }

    private static let started = Mutex<PostgresTestServer??>(nil)

    private static func startOnce() throws -> PostgresTestServer? {
        try started.withLock { server in
            if let server { return server }
            let made = try start()
            server = .some(made)
            return made
        }
    }

    private static func start() throws -> PostgresTestServer? {
        guard let binaries = findBinaries() else { return nil }
        let directory = "/tmp/sfa-postgres-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let asRoot = getuid() == 0
        if asRoot { try FileManager.default.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: directory) }
        func run(_ program: String, _ arguments: [String]) throws {
            let (status, output) =
                asRoot
                ? try runToEnd("/usr/sbin/runuser", ["-u", "postgres", "--", binaries + "/" + program] + arguments)
                : try runToEnd(binaries + "/" + program, arguments)
            guard status == 0 else { throw ProcessLaunchError("\(program) failed (\(status)): \(output)") }
        }
        try run("initdb", ["-D", directory + "/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        let port = try freeLoopbackPort()
        // The server's certificate and key in its own directory, which only its user
        // may read (PostgreSQL refuses a key others can read).
        let certificates = try TestCertificates()
        let files = FileManager.default
        for name in ["server.pem", "server.key"] {
            try files.copyItem(atPath: certificates.path(name), toPath: directory + "/" + name)
            try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory + "/" + name)
            if asRoot { try files.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: directory + "/" + name) }
        }
        // Durability is not under test here: fsync off keeps the tests fast.
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
            + " -c ssl=on -c ssl_cert_file=\(directory)/server.pem -c ssl_key_file=\(directory)/server.key"
        try run("pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-o", options, "-w", "-t", "60", "start"])
        let server = PostgresTestServer(port: port, certificateAuthority: certificates.path("ca.pem"), directory: directory, binaries: binaries)
        stopCommand.withLock { $0 = asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", binaries + "/pg_ctl"] : [binaries + "/pg_ctl"] }
        stopDirectory.withLock { $0 = directory }
        atexit { PostgresTestServer.stopAtExit() }
        return server
    }

    private static let stopCommand = Mutex<[String]>([])
    private static let stopDirectory = Mutex<String>("")

    /// Stops the server and removes its directory as the test process ends.
    private static func stopAtExit() {
        let command = stopCommand.withLock { $0 }
        let directory = stopDirectory.withLock { $0 }
        guard let executable = command.first, !directory.isEmpty else { return }
        _ = try? runToEnd(executable, Array(command.dropFirst()) + ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The newest `bin` directory holding both `initdb` and `pg_ctl`.
    private static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { root + "/" + $0 + "/bin" }.first { bin in
            ["initdb", "pg_ctl", "psql"].allSatisfy { FileManager.default.isExecutableFile(atPath: bin + "/" + $0) }
        }
    }
}

/// Runs blocking `body` on a thread of its own, never on the cooperative pool.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
