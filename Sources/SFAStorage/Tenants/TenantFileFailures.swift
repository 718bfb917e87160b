import GRDB
import Logging
import Synchronization

/// SQLite's errors that mean a tenant's file cannot be used, as ``StorageError``s that
/// name the tenant: a damaged file (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) and a full disk
/// (`SQLITE_FULL`). Each is logged once per tenant, not once per call, until the file
/// opens cleanly again (after a restore, or once space returned and the file was
/// reopened); every other error passes through unchanged.
final class TenantFileFailures: Sendable {
    private let logger: Logger
    /// `damaged:<tenant>` and `full:<tenant>` logged since the tenant's file last opened.
    private let logged = Mutex<Set<String>>([])

    init(logger: Logger) {
        self.logger = logger
    }

    /// `error`, translated when it is one of the failures above.
    func translate(_ error: any Error, tenantID: String) -> any Error {
        guard let database = error as? DatabaseError else { return error }
        switch database.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            logOnce("damaged", tenantID) {
                logger.error(
                    "tenant database damaged: its calls fail with DATA_LOSS until it is restored from a backup",
                    metadata: ["tenant": "\(tenantID)", "error": "\(database)"]
                )
            }
            return StorageError.tenantDatabaseDamaged(tenantID: tenantID)
        case .SQLITE_FULL:
            logOnce("full", tenantID) {
                logger.error(
                    "disk full: the tenant's writes fail with RESOURCE_EXHAUSTED until space is freed",
                    metadata: ["tenant": "\(tenantID)", "error": "\(database)"]
                )
            }
            return StorageError.storageFull(tenantID: tenantID)
        default:
            return error
        }
    }

    /// The tenant's file opened cleanly: a later failure is logged again.
    func opened(_ tenantID: String) {
        logged.withLock { logged in
            logged.remove("damaged:" + tenantID)
            logged.remove("full:" + tenantID)
        }
    }

    private func logOnce(_ kind: String, _ tenantID: String, _ log: () -> Void) {
        if logged.withLock({ $0.insert(kind + ":" + tenantID).inserted }) { log() }
    }
}
