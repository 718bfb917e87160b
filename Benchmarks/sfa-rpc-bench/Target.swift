import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process the benchmark drives: where it listens, and its pid for CPU figures.
struct Target: Sendable {
    /// For reports: `echo`, `server`, `sfad`.
    let name: String
    let port: Int
    let pid: pid_t

    /// False once the process has exited, even if its parent has not reaped it yet.
    var isRunning: Bool {
        guard let state = statFields(pid: pid)?.first else { return false }
        return state != "Z" && state != "X"
    }

    /// User plus system CPU time the process used so far, in seconds.
    var cpuSeconds: Double? { processCPUSeconds(pid: pid) }
}

/// utime + stime of a process (this one by default), in seconds.
func processCPUSeconds(pid: pid_t = getpid()) -> Double? {
    // utime and stime are fields 14 and 15 of the stat line.
    guard let fields = statFields(pid: pid), fields.count > 12,
        let user = Double(fields[11]), let system = Double(fields[12])
    else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The fields of `/proc/<pid>/stat` after `(comm)`, from field 3 (state) on; nil when
/// there is no such process. The command name may contain spaces, hence the search
/// for its closing parenthesis.
private func statFields(pid: pid_t) -> [Substring]? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = text.lastIndex(of: ")")
    else { return nil }
    return text[text.index(after: afterName)...].split(separator: " ")
}
