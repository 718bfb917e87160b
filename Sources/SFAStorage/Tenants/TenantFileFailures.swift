import GRDB
import Logging
import Synchronization

/// SQLite's errors that mean a tenant's file cannot be used, as ``StorageError``s that
/// name the tenant: a damaged file (`SQLITE_CORRUPT`, `SQLITE_NOTADB`), a full disk
/// (`SQLITE_FULL`) and a file another process holds locked past the busy timeout
/// (`SQLITE_BUSY`). Each is logged once per tenant, not once per call, until the file
/// opens cleanly again (after a restore, once space returned, or once the other
/// process let go, and the file was reopened); every other error passes through
/// unchanged.
final class TenantFileFailures: Sendable {
    private let logger: Logger
    /// `damaged:<tenant>`, `full:<tenant>` and `locked:<tenant>` logged since the
    /// tenant's file last opened.
    private let logged = Mutex<Set<String>>([])

    init(logger: Logger) {
        self.logger = logger
    }

    /// `error`, translated when it is one of the failures above.
    func translate(_ error: any Error, tenantID: String) -> any Error {
        guard let database = error as? DatabaseError else { return error }
        let kind: String
        let level: Logger.Level
        let message: Logger.Message
        let translated: StorageError
        switch database.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            (kind, level, translated) = ("damaged", .error, .tenantDatabaseDamaged(tenantID: tenantID))
            message = "tenant database damaged: its calls fail with DATA_LOSS until it is restored from a backup"
        case .SQLITE_FULL:
            (kind, level, translated) = ("full", .error, .storageFull(tenantID: tenantID))
            message = "disk full: the tenant's writes fail with RESOURCE_EXHAUSTED until space is freed"
        case .SQLITE_BUSY:
            (kind, level, translated) = ("locked", .warning, .tenantDatabaseLocked(tenantID: tenantID))
            message = """
                tenant database locked by another process: its calls fail with UNAVAILABLE until that process lets go of it \
                (a process reading tenant files while sfad runs, such as Litestream, needs --tenant-file-locking shared)
                """
        default:
            return error
        }
        logOnce(kind, tenantID) { logger.log(level: level, message, metadata: ["tenant": "\(tenantID)", "error": "\(database)"]) }
        return translated
    }

    /// The tenant's file opened cleanly: a later failure is logged again.
    func opened(_ tenantID: String) {
        logged.withLock { logged in
            logged.remove("damaged:" + tenantID)
            logged.remove("full:" + tenantID)
            logged.remove("locked:" + tenantID)
        }
    }

    private func logOnce(_ kind: String, _ tenantID: String, _ log: () -> Void) {
        if logged.withLock({ $0.insert(kind + ":" + tenantID).inserted }) { log() }
    }
}
