import Foundation
import GRDB
import SFAProtoJSON
@testable import SFAServices
import SFAStorage
import SFAStubs
import Testing

/// Backups of a live tenant, and restores.
@Suite struct BackupTests {
    @Test func aBackupTakenDuringConcurrentWritesRestoresToAConsistentDatabase() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Backup")
            let tenantID = tenant.tenant.id
            let operatorAdmin = stack.admin(stack.operatorKey)
            let writers = 4
            let perWriter = 150

            // Writers append events "w<writer>-<n>" in order, one transaction each, while backups run.
            async let writes: Void = withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<perWriter {
                            try await stack.tenants.withDatabase(tenantID) { queue in
                                try await queue.writeImmediate { db in
                                    try AuditLog.append(db, AuditEvent(actorUserId: "w\(writer)", method: "test", recordKind: .lead, recordId: "w\(writer)-\(index)"))
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            var backups: [TenantBackup] = []
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(30))
                backups.append(try await operatorAdmin.backupTenant(BackupTenantRequest(tenantId: tenantID)).backup!)
            }
            try await writes

            let listed = try await operatorAdmin.listTenantBackups(ListTenantBackupsRequest(tenantId: tenantID)).backups
            #expect(listed.map(\.backupId) == backups.map(\.backupId))

            for backup in backups {
                let restored = try await operatorAdmin.restoreTenant(RestoreTenantRequest(tenantId: tenantID, backupId: backup.backupId))
                #expect(restored.restoredFrom?.backupId == backup.backupId)
                let (integrity, recordIDs) = try await stack.tenants.withDatabase(tenantID) { queue in
                    try await queue.read { db in
                        (
                            try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                            try String.fetchAll(db, sql: "SELECT record_id FROM audit_event WHERE actor_user_id LIKE 'w%'")
                        )
                    }
                }
                #expect(integrity == "ok")
                // Each writer's events are a gap-free prefix: no transaction is half there.
                for writer in 0..<writers {
                    let indices = recordIDs.filter { $0.hasPrefix("w\(writer)-") }.compactMap { Int($0.split(separator: "-")[1]) }.sorted()
                    #expect(indices == Array(0..<indices.count), "writer \(writer) has gaps")
                }
            }
            // The last backup was taken before the writers finished or after; either way the
            // users and keys made before it (15 audit events) are there.
            let total = try await stack.tenants.withDatabase(tenantID) { queue in
                try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_event") ?? 0 }
            }
            #expect(total >= 15)
        }
    }

    @Test func aTamperedBackupIsRefused() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Tamper")
            let operatorAdmin = stack.admin(stack.operatorKey)
            let backup = try await operatorAdmin.backupTenant(BackupTenantRequest(tenantId: tenant.tenant.id)).backup!
            let path = stack.storage.backupsDirectory + "/\(tenant.tenant.id)/\(backup.fileName)"
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.seek(toOffset: 200)
            try handle.write(contentsOf: Data([0xFF, 0xFF, 0xFF]))
            try handle.close()
            #expect(await statusOf {
                try await operatorAdmin.restoreTenant(RestoreTenantRequest(tenantId: tenant.tenant.id, backupId: backup.backupId))
            } == .dataLoss)
            // The live database is untouched and still serves.
            #expect(try await stack.admin(tenant.keys[.admin]).listUsers(ListUsersRequest()).users.count == 7)
        }
    }

    @Test func aDeletedBackupLosesItsFileAndRecordAndOnlyItsOwnTenantMayDeleteIt() async throws {
        try await withStack { stack in
            let first = try await stack.makeTenant("Prune")
            let second = try await stack.makeTenant("Other")
            let operatorAdmin = stack.admin(stack.operatorKey)
            let backup = try await operatorAdmin.backupTenant(BackupTenantRequest(tenantId: first.tenant.id)).backup!
            let path = stack.storage.backupsDirectory + "/\(first.tenant.id)/\(backup.fileName)"
            #expect(FileManager.default.fileExists(atPath: path))
            // Named with the wrong tenant, it is not found; a tenant admin may not prune.
            #expect(await statusOf {
                try await operatorAdmin.deleteTenantBackup(DeleteTenantBackupRequest(tenantId: second.tenant.id, backupId: backup.backupId))
            } == .notFound)
            #expect(await statusOf {
                try await stack.admin(first.keys[.admin]).deleteTenantBackup(DeleteTenantBackupRequest(backupId: backup.backupId))
            } == .permissionDenied)
            let deleted = try await operatorAdmin.deleteTenantBackup(DeleteTenantBackupRequest(tenantId: first.tenant.id, backupId: backup.backupId))
            #expect(deleted.deleted?.backupId == backup.backupId)
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(try await operatorAdmin.listTenantBackups(ListTenantBackupsRequest(tenantId: first.tenant.id)).backups.isEmpty)
            #expect(await statusOf {
                try await operatorAdmin.deleteTenantBackup(DeleteTenantBackupRequest(tenantId: first.tenant.id, backupId: backup.backupId))
            } == .notFound)
        }
    }

    @Test func aTenantAdminExportsItsTenantAsProto3JSONLinesThatReadBackIntoTheRecords() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Export")
            let lead = try #require(try await stack.leads(tenant.keys[.rep]).createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead)
            let account = try await stack.accounts(tenant.keys[.rep]).createAccount(CreateAccountRequest(account: Account(name: "Export KK")))
            // The tenant admin's working key, its own tenant; not another's, nor with a bootstrap key.
            let admin = stack.admin(tenant.keys[.admin])
            let export = try await admin.exportTenant(ExportTenantRequest(format: .jsonLines))
            #expect(await statusOf {
                try await stack.admin(tenant.bootstrapKey).exportTenant(ExportTenantRequest())
            } == .permissionDenied)
            #expect(await statusOf {
                try await admin.exportTenant(ExportTenantRequest(tenantId: "ten_01jd3k4m5n6p7q8r9s0t1v2w3x"))
            } == .notFound)
            #expect(await statusOf { try await stack.admin(tenant.keys[.manager]).exportTenant(ExportTenantRequest()) } == .permissionDenied)

            let path = stack.storage.exportsDirectory + "/\(tenant.tenant.id)/\(export.fileName)"
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == Int(export.recordCount))
            var types: [String: Int] = [:]
            var records: [String: [UInt8]] = [:]
            for line in lines {
                guard case .object(let members) = try JSONValue.parse(String(line)), case .string(let type)? = members.first?.value,
                    members.first?.key == "@type", type.hasPrefix("type.googleapis.com/sfa.v1.")
                else {
                    Issue.record("not an Any in the proto3 JSON mapping: \(line)")
                    continue
                }
                let name = String(type.dropFirst("type.googleapis.com/".count))
                types[name, default: 0] += 1
                // Back to protobuf through the same mapping, by the type the line names.
                let descriptor = try #require(DescriptorRegistry.message(named: name))
                let bytes = try ProtoJSONEncoder.encode(.object(Array(members.dropFirst())), as: descriptor)
                if case .string(let id)? = JSONValue.object(Array(members.dropFirst()))["id"] { records[id] = bytes }
            }
            #expect(types["sfa.v1.Lead"] == 1)
            #expect(types["sfa.v1.Account"] == 1)
            #expect(try #require(types["sfa.v1.AuditEvent"]) >= 2)
            #expect(try Lead(serializedBytes: try #require(records[lead.id])) == lead)
            #expect(try Account(serializedBytes: try #require(records[account.id])) == account)
            #expect(!lines.contains { $0.contains("\"table\"") || $0.contains("\"data\"") }, "database rows, not records")
        }
    }

    @Test func everyTableOfATenantDatabaseIsExportedOrDeclaredInternal() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Tables")
            let tables = try await stack.tenants.withDatabase(tenant.tenant.id) { pool in
                try await pool.read { db in try AdminService.dataTables(db) }
            }
            let declared = Set(TenantExport.tables.map(\.name)).union(TenantExport.internalTables)
            #expect(Set(tables) == declared, "declare each table in TenantExport: exported, or internal")
        }
    }
}
