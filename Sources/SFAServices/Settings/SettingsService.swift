import Foundation
import GRDB
public import SFAStorage
public import SFAStubs

/// `sfa.v1.SettingsService`: the tenant's settings (custom lead statuses mapped onto
/// the built-in meanings, lost reasons, the quote discount approval threshold,
/// currency, time zone, working days) and its teams. Admins change them; every
/// member reads them.
public struct SettingsService: SettingsServiceHandler {
    let store: TenantStore

    public init(controlPlane: ControlPlane, tenants: TenantDatabases) {
        store = TenantStore(tenants: tenants, controlPlane: controlPlane)
    }

    static let updatable: Set<String> = [
        "lead_statuses", "lost_reasons", "require_lost_reason", "quote_discount_approval_threshold_bps",
        "default_currency_code", "time_zone", "working_days", "stalled_deal_days",
    ]

    public func getTenantSettings(_ request: GetTenantSettingsRequest, context: ServerContext) async throws -> TenantSettings {
        let access = try await store.access(context)
        return try await store.read(access) { db in try SettingsRecords.load(db) }
    }

    /// Replaces the fields in the mask; lists are replaced whole. A custom status key
    /// that leads use cannot be removed or given another meaning, only retired.
    public func updateTenantSettings(_ request: UpdateTenantSettingsRequest, context: ServerContext) async throws -> TenantSettings {
        let access = try await store.access(context)
        let changes = request.settings ?? TenantSettings()
        let mask = try UpdateMask(request.updateMask, updatable: Self.updatable, prefix: "settings")
        var validation = Validation()
        Self.validate(changes, mask: mask, into: &validation)
        try validation.throwIfInvalid()
        let userID = access.principal.userID
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try SettingsRecords.load(db)
            guard before.version == changes.version else {
                throw StorageError.staleVersion(kind: "tenant_settings", id: "settings", current: before.version)
            }
            var after = before
            if mask.contains("lead_statuses") {
                let kept = Dictionary(changes.leadStatuses.map { ($0.key, $0.meaning) }, uniquingKeysWith: { first, _ in first })
                for status in before.leadStatuses where kept[status.key] != status.meaning {
                    let removed = status.key
                    let uses = try Int.fetchOne(db, sql: "SELECT count(*) FROM lead WHERE custom_status = ?", arguments: [removed]) ?? 0
                    guard uses == 0 else {
                        throw StorageError.failedPrecondition(
                            reason: "IN_USE",
                            message: "the custom status \(removed) is used by \(uses) leads; retire it instead of removing it or changing its meaning"
                        )
                    }
                }
                after.leadStatuses = changes.leadStatuses
            }
            if mask.contains("lost_reasons") { after.lostReasons = changes.lostReasons }
            if mask.contains("require_lost_reason") { after.requireLostReason = changes.requireLostReason }
            if mask.contains("quote_discount_approval_threshold_bps") {
                after.quoteDiscountApprovalThresholdBps = changes.quoteDiscountApprovalThresholdBps
            }
            if mask.contains("default_currency_code") { after.defaultCurrencyCode = changes.defaultCurrencyCode }
            if mask.contains("time_zone") { after.timeZone = changes.timeZone }
            if mask.contains("working_days") { after.workingDays = changes.workingDays }
            if mask.contains("stalled_deal_days") { after.stalledDealDays = changes.stalledDealDays }
            after.version = before.version + 1
            after.updatedByUserId = userID
            after.updateTimeMs = nowMs()
            try SettingsRecords.store(db, after, expectedVersion: before.version)
            trail.record(.tenantSettings, "settings", .update, version: after.version, changes: FieldDiff.changes(before, after, fields: mask.fields))
            return after
        }
    }

    private static func validate(_ settings: TenantSettings, mask: UpdateMask, into validation: inout Validation) {
        if mask.contains("lead_statuses") {
            var keys: Set<String> = []
            var defaults: Set<Int32> = []
            for (index, status) in settings.leadStatuses.enumerated() {
                let field = "settings.lead_statuses[\(index)]"
                validation.check(Self.isKey(status.key), field + ".key", "use 1–40 characters a–z, 0–9 and _")
                validation.check(keys.insert(status.key).inserted, field + ".key", "\(status.key) appears twice")
                validation.text(status.label, field + ".label", maximumLength: 100)
                validation.known(status.meaning, field + ".meaning")
                if status.isDefault, !status.retired {
                    validation.check(defaults.insert(status.meaning.rawValue).inserted, field + ".is_default", "one default per meaning")
                }
            }
            validation.check(settings.leadStatuses.count <= 100, "settings.lead_statuses", "has more than 100 entries")
        }
        if mask.contains("lost_reasons") {
            validation.check(settings.lostReasons.count <= 100, "settings.lost_reasons", "has more than 100 entries")
            var keys: Set<String> = []
            for (index, reason) in settings.lostReasons.enumerated() {
                validation.check(Self.isKey(reason.key), "settings.lost_reasons[\(index)].key", "use 1–40 characters a–z, 0–9 and _")
                validation.check(keys.insert(reason.key).inserted, "settings.lost_reasons[\(index)].key", "\(reason.key) appears twice")
                validation.text(reason.label, "settings.lost_reasons[\(index)].label", maximumLength: 100)
            }
        }
        if mask.contains("quote_discount_approval_threshold_bps") {
            validation.check((0...10_000).contains(settings.quoteDiscountApprovalThresholdBps), "settings.quote_discount_approval_threshold_bps", "must be 0…10000")
        }
        if mask.contains("default_currency_code") {
            validation.money(Money(currencyCode: settings.defaultCurrencyCode), "settings.default_currency")
        }
        if mask.contains("time_zone") {
            validation.check(TimeZone(identifier: settings.timeZone) != nil, "settings.time_zone", "is not an IANA time zone")
        }
        if mask.contains("working_days") {
            validation.check(Set(settings.workingDays).count == settings.workingDays.count, "settings.working_days", "lists a day twice")
            for day in settings.workingDays { validation.known(day, "settings.working_days") }
        }
        if mask.contains("stalled_deal_days") {
            validation.check((1...365).contains(settings.stalledDealDays), "settings.stalled_deal_days", "must be 1…365")
        }
    }

    private static func isKey(_ key: String) -> Bool {
        (1...40).contains(key.count) && key.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
    }

    // MARK: Teams

    public func listTeams(_ request: ListTeamsRequest, context: ServerContext) async throws -> ListTeamsResponse {
        let access = try await store.access(context)
        let filter = "teams|\(request.includeArchived)"
        let page = try PageRequest(pageSize: request.pageSize, pageToken: request.pageToken, filter: filter)
        let teams = try await store.read(access) { db in
            var query = Table("team").all()
            if !request.includeArchived { query = query.filter(Column("archived") == false) }
            return try RecordRows.fetchAll(db, Team.self, query.page(page, order: .oldestFirst))
        }
        return ListTeamsResponse(teams: teams, nextPageToken: page.nextToken(lastID: teams.last?.id, count: teams.count, filter: filter))
    }

    public func createTeam(_ request: CreateTeamRequest, context: ServerContext) async throws -> Team {
        let access = try await store.access(context)
        var team = request.team ?? Team()
        var validation = Validation()
        validation.text(team.name, "team.name", maximumLength: 100)
        try validation.throwIfInvalid()
        if !team.managerUserId.isEmpty { _ = try await store.controlPlane.user(team.managerUserId, tenantID: access.tenantID) }
        let now = nowMs()
        team.id = RecordID.make("team")
        team.version = 1
        team.archived = false
        team.createdByUserId = access.principal.userID
        team.createTimeMs = now
        team.updateTimeMs = now
        let created = team
        return try await store.write(access, context: context, request: request) { db, trail in
            try RecordRows.insert(db, table: "team", columns: [
                "id": created.id, "version": 1, "archived": false, "data": Data(created.serializedBytes()),
            ])
            trail.record(.team, created.id, .create, version: 1, changes: [AuditLog.change("name", before: nil, after: created.name)])
            return created
        }
    }

    public func updateTeam(_ request: UpdateTeamRequest, context: ServerContext) async throws -> Team {
        let access = try await store.access(context)
        let changes = request.team ?? Team()
        let mask = try UpdateMask(request.updateMask, updatable: ["name", "manager_user_id", "archived"], prefix: "team")
        var validation = Validation()
        if mask.contains("name") { validation.text(changes.name, "team.name", maximumLength: 100) }
        try validation.throwIfInvalid()
        if mask.contains("manager_user_id"), !changes.managerUserId.isEmpty {
            _ = try await store.controlPlane.user(changes.managerUserId, tenantID: access.tenantID)
        }
        return try await store.write(access, context: context, request: request) { db, trail in
            guard let before = try RecordRows.fetch(db, Team.self, table: "team", id: changes.id, condition: true.sqlExpression) else {
                throw StorageError.notFound(kind: "team", id: changes.id)
            }
            var after = before
            if mask.contains("name") { after.name = changes.name }
            if mask.contains("manager_user_id") { after.managerUserId = changes.managerUserId }
            if mask.contains("archived") { after.archived = changes.archived }
            after.version = before.version + 1
            after.updateTimeMs = nowMs()
            try RecordRows.update(db, table: "team", id: after.id, expectedVersion: changes.version, columns: [
                "version": after.version, "archived": after.archived, "data": Data(after.serializedBytes()),
            ])
            trail.record(.team, after.id, .update, version: after.version, changes: FieldDiff.changes(before, after, fields: mask.fields))
            return after
        }
    }
}
