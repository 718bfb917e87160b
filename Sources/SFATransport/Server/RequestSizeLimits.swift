import SFAMessages
public import SFARPC

/// The largest request payload each kind of method accepts, checked from the frame's
/// length before the payload is decoded (docs/protocol.md "Limits"). The frame limit
/// (4 MiB) bounds every request; these bound each kind well below it, so that a call
/// that needs a few hundred bytes cannot make the server decode megabytes.
public struct RequestSizeLimits: Sendable, Equatable {
    /// What a method is, for its limit: by its name, so that a new method gets a
    /// class without a table to update.
    public enum MethodClass: String, Sendable, CaseIterable {
        /// Bulk writes (`Import…`): as large as a frame.
        case bulk
        /// `AdminService`: tenants, users, keys, backups, limits.
        case admin
        /// `Get…`, `List…`, `Search…`, analytics, health and reflection.
        case read
        /// Everything else: creates, updates, transitions.
        case write

        /// The class of the method `fullName` (`/sfa.v1.LeadService/GetLead`).
        public init(method fullName: String) {
            let parts = fullName.split(separator: "/", omittingEmptySubsequences: true)
            let service = parts.first.map(String.init) ?? ""
            let method = parts.count > 1 ? String(parts[1]) : ""
            if method.hasPrefix("Import") {
                self = .bulk
            } else if service.hasSuffix(".AdminService") {
                self = .admin
            } else if service.hasSuffix(".AnalyticsService") || service.hasSuffix(".HealthService")
                || service.hasSuffix(".ReflectionService")
                || ["Get", "List", "Search", "Describe", "Check"].contains(where: method.hasPrefix)
            {
                self = .read
            } else {
                self = .write
            }
        }
    }

    /// 4 MiB: a 10,000-row import fits.
    public var bulk: Int
    /// 64 KiB.
    public var admin: Int
    /// 256 KiB: filters are bounded in count (docs/security.md) far below it.
    public var read: Int
    /// 1 MiB.
    public var write: Int

    public init(bulk: Int = 4 * 1024 * 1024, admin: Int = 64 * 1024, read: Int = 256 * 1024, write: Int = 1024 * 1024) {
        self.bulk = bulk
        self.admin = admin
        self.read = read
        self.write = write
    }

    /// The largest payload of a request of `methodClass`.
    public func limit(for methodClass: MethodClass) -> Int {
        switch methodClass {
        case .bulk: bulk
        case .admin: admin
        case .read: read
        case .write: write
        }
    }

    /// The refusal of a request of `method` whose payload is `size` bytes, or nil
    /// when it is within its kind's limit; every transport answers it before the
    /// payload is decoded. Retrying the same bytes cannot help, so there is no retry hint.
    public func refusal(method: String, size: Int) -> RPCError? {
        let methodClass = MethodClass(method: method)
        let limit = limit(for: methodClass)
        guard size > limit else { return nil }
        return RPCError(
            code: .resourceExhausted,
            message: "a request of a \(methodClass.rawValue) method may be at most \(limit) bytes, not \(size)",
            details: ErrorDetails(reason: "REQUEST_TOO_LARGE")
        )
    }
}
