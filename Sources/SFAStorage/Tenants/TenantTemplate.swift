import Foundation
import GRDB
import Synchronization

/// New tenant files, made by copying a migrated, empty database rather than by running
/// every migration: the schema's hundred tables, indexes and triggers cost far more to
/// create (and to re-parse after each) than half a megabyte costs to copy. The
/// template is made once per process, the first time a tenant file is created, at
/// `.template-v<version>.db` in the tenants directory (a name no tenant file can
/// take); a process never trusts a template it did not make, since an older build at
/// the same version count may have left it.
///
/// What must differ between tenants is set on the copy before it takes the tenant's
/// name: its default pipeline gets ids of its own. The copy is then renamed into
/// place, so a tenant file either does not exist or is complete.
final class TenantTemplate: Sendable {
    private let storage: StorageConfiguration
    /// The template's path once this process has made it.
    private let made = Mutex<String?>(nil)

    init(storage: StorageConfiguration) {
        self.storage = storage
    }

    /// Creates the database of a new tenant at `path`, which must not exist.
    func makeDatabase(at path: String) throws {
        let template = try templatePath()
        let copy = path + ".creating"
        do {
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: template, toPath: copy)
            let queue = try DatabaseOpening.open(path: copy, storage: storage)
            try queue.inTransaction { db in
                try db.execute(sql: "DELETE FROM pipeline")
                _ = try TenantSchema.insertDefaultPipeline(db)
                return .commit
            }
            // Closing the last connection checkpoints and syncs the copy and removes its WAL.
            try queue.close()
            try Self.rename(copy, to: path)
        } catch {
            Self.remove(copy)
            throw error
        }
    }

    /// The template, made now if this process has not made it yet (under the lock, so
    /// that concurrent first creations make it once).
    private func templatePath() throws -> String {
        try made.withLock { made in
            if let made { return made }
            let path = storage.tenantsDirectory + "/.template-v\(TenantSchema.currentVersion).db"
            let building = path + ".\(getpid())"
            do {
                Self.remove(building)
                let queue = try DatabaseOpening.open(path: building, storage: storage)
                try TenantSchema.migrate(queue)
                try queue.close()
                try Self.rename(building, to: path)
            } catch {
                Self.remove(building)
                throw error
            }
            made = path
            return path
        }
    }

    /// Replaces `destination` atomically (rename(2)), as FileManager's move would not.
    private static func rename(_ source: String, to destination: String) throws {
        guard Foundation.rename(source, destination) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// Removes a database file left half made, with its WAL and shared memory.
    private static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
