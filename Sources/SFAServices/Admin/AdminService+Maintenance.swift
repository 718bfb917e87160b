import Crypto
import Foundation
import GRDB
import SFAStorage
public import SFAStubs

extension AdminService {
    /// Migrates the named tenants (all live ones when none is named) to this code's
    /// schema, or with `dry_run` reports what would happen. A database written by a
    /// newer SalesWire is reported and left untouched.
    public func migrateTenants(_ request: MigrateTenantsRequest, context: ServerContext) async throws -> MigrateTenantsResponse {
        let ids = request.tenantIds.isEmpty ? try await controlPlane.liveTenantIDs() : request.tenantIds
        var results: [TenantMigrationResult] = []
        for tenantID in ids {
            let start = ContinuousClock.now
            var result = TenantMigrationResult(tenantId: tenantID, toVersion: TenantSchema.currentVersion)
            do {
                _ = try await targetTenant(tenantID, context)
                let from = try await tenants.schemaVersion(tenantID) ?? 0
                result.fromVersion = from
                if from == TenantSchema.currentVersion {
                    result.outcome = .upToDate
                } else if request.dryRun {
                    result.outcome = .wouldMigrate
                } else {
                    try await tenants.withDatabase(tenantID) { _ in }  // opening migrates
                    try await controlPlane.setTenantSchemaVersion(tenantID, TenantSchema.currentVersion)
                    result.outcome = .migrated
                }
            } catch StorageError.schemaNewerThanCode {
                result.outcome = .newerThanCode
                result.errorMessage = "written by a newer SalesWire; left untouched"
            } catch {
                result.outcome = .failed
                result.errorMessage = RPCError(mapping: error).message
            }
            let elapsed = ContinuousClock.now - start
            result.durationMs = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            results.append(result)
        }
        return MigrateTenantsResponse(codeSchemaVersion: TenantSchema.currentVersion, results: results)
    }

    /// A consistent copy of the live tenant database (`VACUUM INTO`, which reads one
    /// snapshot while writers wait), kept under `backups/<tenant>/`; written under a
    /// staging name and renamed when complete (``IncompleteBackups``).
    public func backupTenant(_ request: BackupTenantRequest, context: ServerContext) async throws -> BackupTenantResponse {
        let tenantID = try await targetTenant(request.tenantId, context)
        let backupID = RecordID.make("bak")
        let directory = storage.backupsDirectory + "/" + tenantID
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fileName = backupID + ".sqlite"
        let path = directory + "/" + fileName
        let staging = IncompleteBackups.stagingPath(for: path)
        let version: Int32
        do {
            version = try await tenants.withDatabase(tenantID) { writer in
                try await writer.writeWithoutTransaction { db in
                    try db.execute(sql: "VACUUM INTO ?", arguments: [staging])
                    return try Int32.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") ?? 0
                }
            }
            try FileManager.default.moveItem(atPath: staging, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        let (size, digest) = try Self.fileDigest(path)
        let row = TenantBackupRow(id: backupID, tenantID: tenantID, fileName: fileName, sizeBytes: size, sha256: digest, schemaVersion: version)
        try await controlPlane.insertBackup(row)
        return BackupTenantResponse(backup: row.message)
    }

    public func listTenantBackups(_ request: ListTenantBackupsRequest, context: ServerContext) async throws -> ListTenantBackupsResponse {
        let tenantID = try await targetTenant(request.tenantId, context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "").request
        let rows = try await controlPlane.backups(tenantID: tenantID, page: page)
        return ListTenantBackupsResponse(
            backups: rows.map(\.message),
            nextPageToken: page.nextToken(lastID: rows.last?.id, count: rows.count)
        )
    }

    /// Removes a backup's record, then its file (a record never names a missing file
    /// for long: a crash between the two leaves only an orphan file, which the next
    /// listing does not show).
    public func deleteTenantBackup(_ request: DeleteTenantBackupRequest, context: ServerContext) async throws -> DeleteTenantBackupResponse {
        let tenantID = try await targetTenant(request.tenantId, context)
        let row = try await controlPlane.deleteBackup(request.backupId, tenantID: tenantID)
        let path = storage.backupsDirectory + "/" + tenantID + "/" + row.fileName
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        return DeleteTenantBackupResponse(deleted: row.message)
    }

    /// Replaces the tenant database with a backup, after checking the backup's
    /// checksum and `PRAGMA integrity_check`. Calls of the tenant in flight finish
    /// first; calls during the swap get FAILED_PRECONDITION (TENANT_BUSY).
    public func restoreTenant(_ request: RestoreTenantRequest, context: ServerContext) async throws -> RestoreTenantResponse {
        let tenantID = try await targetTenant(request.tenantId, context)
        let backup = try await controlPlane.backup(request.backupId, tenantID: tenantID)
        let source = storage.backupsDirectory + "/" + tenantID + "/" + backup.fileName
        let (_, digest) = try Self.fileDigest(source)
        guard digest == backup.sha256 else {
            throw RPCError(code: .dataLoss, message: "the backup file does not match its checksum", details: ErrorDetails(reason: "BACKUP_CORRUPT"))
        }
        guard backup.schemaVersion <= TenantSchema.currentVersion else {
            throw StorageError.schemaNewerThanCode(tenantID: tenantID)
        }
        // The restore's audit event goes into the restored file itself, before it takes
        // the live file's place: its id is the tenant's new history epoch, so no change
        // feed cursor from before the restore reads on (ChangeCursor).
        let tenant = try await controlPlane.tenant(tenantID)
        let event = auditEvent(context, kind: .tenant, recordID: tenantID, action: .stateChange, version: tenant.version, changes: [
            AuditLog.change("restored_from_backup", before: nil, after: backup.id)
        ])
        try await tenants.withExclusiveFile(tenantID) { path in
            let staging = path + ".restoring"
            let manager = FileManager.default
            if manager.fileExists(atPath: staging) { try manager.removeItem(atPath: staging) }
            try manager.copyItem(atPath: source, toPath: staging)
            let check = try DatabaseQueue(path: staging)
            let verdict = try await check.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
            if verdict == "ok", let event { try await check.write { db in try AuditLog.insert(db, event) } }
            try check.close()
            guard verdict == "ok" else {
                try? manager.removeItem(atPath: staging)
                throw RPCError(code: .dataLoss, message: "the backup fails integrity_check", details: ErrorDetails(reason: "BACKUP_CORRUPT"))
            }
            for suffix in ["-wal", "-shm"] where manager.fileExists(atPath: path + suffix) {
                try manager.removeItem(atPath: path + suffix)
            }
            if manager.fileExists(atPath: path) { try manager.removeItem(atPath: path) }
            try manager.moveItem(atPath: staging, toPath: path)
        }
        // Events queued for the tenant before the restore (none of them is in the backup).
        await deliverAudit(tenantID)
        return RestoreTenantResponse(tenant: tenant.message, restoredFrom: backup.message)
    }

    /// Writes the tenant's data to a file under `exports/<tenant>/`: a SQLite copy, or
    /// JSON lines, one record per line in the proto3 JSON mapping (``TenantExport``).
    /// An operator exports any tenant; a tenant admin its own (data portability).
    public func exportTenant(_ request: ExportTenantRequest, context: ServerContext) async throws -> ExportTenantResponse {
        let tenantID = try await targetTenant(request.tenantId, context)
        let format = request.format == .unspecified ? .jsonLines : request.format
        guard format == .jsonLines || format == .sqlite else {
            throw RPCError.invalidArgument("unknown export format", violations: [FieldViolation("format", .unknownValue, "JSON_LINES or SQLITE")])
        }
        let exportID = RecordID.make("exp")
        let directory = storage.exportsDirectory + "/" + tenantID
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fileName = exportID + (format == .sqlite ? ".sqlite" : ".jsonl")
        let path = directory + "/" + fileName
        let records = try await tenants.withDatabase(tenantID) { writer in
            try await writer.writeWithoutTransaction { db -> Int64 in
                if format == .sqlite {
                    try db.execute(sql: "VACUUM INTO ?", arguments: [path])
                    return try Self.dataTables(db).reduce(0) { $0 + (try Int64.fetchOne(db, sql: "SELECT count(*) FROM \($1)") ?? 0) }
                }
                // One read transaction: every table from the same snapshot.
                var count: Int64 = 0
                try db.inTransaction(.deferred) {
                    count = try TenantExport.write(db, to: path)
                    return .commit
                }
                return count
            }
        }
        let (size, digest) = try Self.fileDigest(path)
        return ExportTenantResponse(
            exportId: exportID,
            tenantId: tenantID,
            format: format,
            fileName: fileName,
            sizeBytes: size,
            sha256: digest,
            recordCount: records,
            createTimeMs: nowMs()
        )
    }

    public func getServerStats(_ request: GetServerStatsRequest, context: ServerContext) async throws -> GetServerStatsResponse {
        let snapshot = serverSnapshot()
        let now = nowMs()
        return GetServerStatsResponse(
            serverVersion: SalesWireVersion.current,
            startTimeMs: startTimeMs,
            uptimeMs: now - startTimeMs,
            draining: snapshot.draining,
            openConnections: Int32(clamping: snapshot.openConnections),
            maxConnections: Int32(clamping: snapshot.maximumConnections),
            callsInFlight: Int32(clamping: snapshot.callsInFlight),
            totalCalls: snapshot.methods.reduce(0) { $0 + $1.callCount },
            openTenantDatabases: Int32(clamping: tenants.openCount),
            tenantDatabaseCacheCapacity: Int32(clamping: tenants.capacity),
            tenantCount: Int32(clamping: try await controlPlane.liveTenantIDs().count),
            methods: snapshot.methods
        )
    }

    public func getTenantStats(_ request: GetTenantStatsRequest, context: ServerContext) async throws -> GetTenantStatsResponse {
        let tenantID = try await targetTenant(request.tenantId, context)
        let tenant = try await controlPlane.tenant(tenantID)
        let counts = try await controlPlane.counts(tenantID: tenantID)
        let path = storage.tenantsDirectory + "/" + tenantID + ".sqlite"
        let attributes = { (suffix: String) -> Int64 in
            ((try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return GetTenantStatsResponse(
            tenantId: tenantID,
            databaseSizeBytes: attributes(""),
            walSizeBytes: attributes("-wal"),
            schemaVersion: tenant.schemaVersion,
            userCount: Int32(clamping: counts.users),
            activeApiKeyCount: Int32(clamping: counts.activeKeys)
        )
    }

    // MARK: Files

    /// Size and hex SHA-256 of a file, read in 1 MiB pieces.
    static func fileDigest(_ path: String) throws -> (size: Int64, sha256: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StorageError.notFound(kind: "file", id: (path as NSString).lastPathComponent)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// The tables holding tenant data (not SQLite's or the migrator's own).
    static func dataTables(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name"
        )
    }
}

extension TenantBackupRow {
    var message: TenantBackup {
        TenantBackup(
            backupId: id,
            tenantId: tenantID,
            fileName: fileName,
            sizeBytes: sizeBytes,
            sha256: sha256,
            schemaVersion: schemaVersion,
            createTimeMs: createTimeMs
        )
    }
}

