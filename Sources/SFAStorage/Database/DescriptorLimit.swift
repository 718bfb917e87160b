import Foundation

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`), which bounds how
/// many tenant databases may be open at once (each holds several descriptors).
public enum DescriptorLimit {
    /// The soft limit now in force.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        // RLIM_INFINITY is all ones: clamping turns it into Int.max.
        return Int(clamping: limit.rlim_cur)
    }

    /// Raises the soft limit to the hard one (the most an unprivileged process may
    /// have; many systems start processes at 1,024 with a far higher hard limit), as
    /// `sfad` does at start, and returns the limit now in force.
    @discardableResult
    public static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return current }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return current
    }
}
