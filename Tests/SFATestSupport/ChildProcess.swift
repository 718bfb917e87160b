public import Foundation

/// A process the tests start, spawned and reaped with `posix_spawn` and `waitpid`
/// rather than Foundation's `Process`.
///
/// `Process.run` on Linux lists `/proc/self/fd` to close every inherited descriptor,
/// and copies each directory entry's name as a whole 256-byte array: when an entry
/// sits at the end of the mapped directory buffer the copy reads past it, and the
/// test process dies of a segmentation fault (seen here twice, in `Process.run`'s
/// `memcpy`, during full parallel suite runs). Its `waitUntilExit` also never
/// returned for a `pg_ctl start` whose server outlived it. Here the child closes its
/// inherited descriptors with `posix_spawn_file_actions_addclosefrom_np`, and the
/// status is collected with `waitpid` under a lock, so any thread may ask.
public final class ChildProcess: @unchecked Sendable {
    /// The child's process id.
    public let processIdentifier: pid_t
    private let lock = NSLock()
    /// The wait status once the child is reaped.
    private var waitStatus: Int32?

    /// Starts `executable` (an absolute path) with `arguments`.
    /// - Parameters:
    ///   - environment: the child's whole environment; nil: this process's.
    ///   - output: a file standard output is appended to; nil: `/dev/null`.
    ///   - error: a file standard error is appended to (the same file as `output`
    ///     shares its descriptor); nil: `/dev/null`.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        output: String? = nil, error: String? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let appending = O_WRONLY | O_CREAT | O_APPEND
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", output == nil ? O_WRONLY : appending, 0o644)
        if let error, error == output {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, error ?? "/dev/null", error == nil ? O_WRONLY : appending, 0o644)
        }
        guard let closeFrom = addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw ProcessLaunchError("posix_spawn_file_actions_addclosefrom_np is missing (glibc 2.34 or later has it)")
        }

        // A clean signal state, as a shell gives: nothing blocked, SIGPIPE at its default.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in environmentList { free(pointer) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environmentList)
        guard spawned == 0 else { throw ProcessLaunchError("cannot run \(executable): errno \(spawned)") }
        processIdentifier = pid
    }

    /// Whether the child has not exited yet (reaping it if it has).
    public var isRunning: Bool {
        lock.withLock {
            if waitStatus != nil { return false }
            var status: Int32 = 0
            let reaped = waitpid(processIdentifier, &status, WNOHANG)
            if reaped == processIdentifier || (reaped == -1 && errno == ECHILD) {
                // Reaped by someone else: its status is unknown, never read as success.
                waitStatus = reaped == processIdentifier ? status : Self.unknownStatus
                return false
            }
            return true
        }
    }

    /// Blocks (polling every 5 ms) until the child has exited.
    public func waitUntilExit() {
        while isRunning { usleep(5_000) }
    }

    /// Its exit status, or 128 + the signal that ended it (as a shell reports it);
    /// -1 while it runs or when its status was lost (another waiter reaped it).
    public var terminationStatus: Int32 {
        lock.withLock {
            guard let status = waitStatus, status != Self.unknownStatus else { return -1 }
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }

    /// Sends `signal` (SIGTERM unless told otherwise), only while the child is not
    /// reaped: its pid may belong to another process afterwards.
    public func terminate(_ signal: Int32 = SIGTERM) {
        lock.withLock {
            if waitStatus == nil { _ = kill(processIdentifier, signal) }
        }
    }

    /// A wait status no exit or signal produces.
    private static let unknownStatus = Int32.min
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at
/// run time: the Glibc module does not import it.
private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()
