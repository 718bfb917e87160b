public import Foundation

/// Starts `process`, one launch at a time across the test process: Foundation's
/// `Process.run` on Linux is not safe to call from several threads at once (seen here
/// as a crash in its argument copying while parallel tests launched `sfad` and
/// scripts; swift-corelibs-foundation issues 4772, 4795, 4810).
public func launch(_ process: Process) throws {
    launches.lock()
    defer { launches.unlock() }
    try process.run()
}

private let launches = NSLock()

/// Runs `executable` with `arguments` to its end on the calling thread.
/// - Returns: its exit status and what it printed (both streams, in a file, so that
///   nothing blocks on a pipe).
///
/// Spawned and reaped with `posix_spawn` and `waitpid`, not `Process`: Foundation's
/// `waitUntilExit` never returned for a `pg_ctl start` whose server outlives it (seen
/// here: the child a zombie, the wait blocked).
public func runToEnd(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let log = NSTemporaryDirectory() + "sfa-run-" + UUID().uuidString + ".log"
    defer { try? FileManager.default.removeItem(atPath: log) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else { throw ProcessLaunchError("cannot run \(executable): errno \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// A TCP port on loopback that nothing listened on a moment ago.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw ProcessLaunchError("socket failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw ProcessLaunchError("no free port on loopback") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A helper process that did not do what the test needs.
public struct ProcessLaunchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
