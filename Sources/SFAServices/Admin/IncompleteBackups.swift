import Foundation
public import SFAStorage

/// Backups are written as `<backup id>.sqlite.partial` and renamed to their name only
/// when complete (then recorded in the control plane), so a server killed during a
/// backup leaves no file under a backup's name; what it leaves (the partial file and
/// SQLite's `-journal` beside it) is removed at the next start.
public enum IncompleteBackups {
    static let suffix = ".partial"

    /// Where the backup to be named `path` is written.
    static func stagingPath(for path: String) -> String { path + suffix }

    /// Removes the files of backups that never completed.
    /// - Returns: the paths removed.
    public static func remove(storage: StorageConfiguration) throws -> [String] {
        let manager = FileManager.default
        guard let tenants = try? manager.contentsOfDirectory(atPath: storage.backupsDirectory) else { return [] }
        var removed: [String] = []
        for tenant in tenants {
            let directory = storage.backupsDirectory + "/" + tenant
            for file in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] where file.contains(suffix) {
                try manager.removeItem(atPath: directory + "/" + file)
                removed.append(directory + "/" + file)
            }
        }
        return removed
    }
}
