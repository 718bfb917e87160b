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
        "default_currency_code", "time_zone", "working_days", "stalled_deal_days", "require_qualification_to_convert",
        "tax_calculation", "tax_rounding", "price_basis", "quote_validity_days", "quote_number_prefix", "tax_codes",
        "advance_stage_on_documents",
        "holidays", "daily_report_visibility",
        "fiscal_year_start_month", "daily_report_grace_hours",
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
        let mask = try UpdateMask<TenantSettings>(request.updateMask, updatable: Self.updatable, prefix: "settings")
        let userID = access.principal.userID
        return try await store.write(access, context: context, request: request) { db, trail in
            let before = try SettingsRecords.load(db)
            guard before.version == changes.version else {
                throw StorageError.staleVersion(kind: "tenant_settings", id: "settings", current: before.version)
            }
            var after = before
            try mask.apply(changes, to: &after)
            var validation = Validation()
            Self.validate(after, into: &validation)
            try validation.throwIfInvalid()
            try Self.requireUsedStatusesKept(db, before: before.leadStatuses, after: after.leadStatuses)
            try Self.requireUsedLostReasonsKept(db, before: before.lostReasons, after: after.lostReasons)
            after.version = before.version + 1
            after.updatedByUserId = userID
            after.updateTimeMs = nowMs()
            try SettingsRecords.store(db, after, expectedVersion: before.version)
            trail.record(.tenantSettings, "settings", .update, version: after.version, changes: FieldDiff.changes(before, after, fields: mask.fields))
            return after
        }
    }

    /// A custom status key that leads use cannot be removed or given another meaning.
    private static func requireUsedStatusesKept(_ db: Database, before: [LeadStatusDefinition], after: [LeadStatusDefinition]) throws {
        let kept = Dictionary(after.map { ($0.key, $0.meaning) }, uniquingKeysWith: { first, _ in first })
        for status in before where kept[status.key] != status.meaning {
            let uses = try Int.fetchOne(db, sql: "SELECT count(*) FROM lead WHERE custom_status = ?", arguments: [status.key]) ?? 0
            guard uses == 0 else {
                throw StorageError.failedPrecondition(
                    reason: "IN_USE",
                    message: "the custom status \(status.key) is used by \(uses) leads; retire it instead of removing it or changing its meaning"
                )
            }
        }
    }

    /// A lost-reason key that closed deals carry cannot be removed, only retired: the
    /// deals and the lost-reason figures keep naming it.
    private static func requireUsedLostReasonsKept(_ db: Database, before: [LostReason], after: [LostReason]) throws {
        let kept = Set(after.map(\.key))
        for reason in before where !kept.contains(reason.key) {
            let uses = try Int.fetchOne(db, sql: "SELECT count(*) FROM opportunity WHERE lost_reason = ?", arguments: [reason.key]) ?? 0
            guard uses == 0 else {
                throw StorageError.failedPrecondition(
                    reason: "IN_USE",
                    message: "the lost reason \(reason.key) is on \(uses) deals; retire it instead of removing it"
                )
            }
        }
    }

    /// Checks the settings as a whole (the stored ones merged with the update).
    private static func validate(_ settings: TenantSettings, into validation: inout Validation) {
        var keys: Set<String> = []
        var defaults: Set<Int32> = []
        for (index, status) in settings.leadStatuses.enumerated() {
            let field = "settings.lead_statuses[\(index)]"
            validation.check(Self.isKey(status.key), field + ".key", .invalidFormat, "use 1–40 characters a–z, 0–9 and _")
            validation.check(keys.insert(status.key).inserted, field + ".key", .duplicate, "\(status.key) appears twice")
            validation.text(status.label, field + ".label", maximumLength: 100)
            validation.known(status.meaning, field + ".meaning")
            if status.isDefault, !status.retired {
                validation.check(defaults.insert(status.meaning.rawValue).inserted, field + ".is_default", .duplicate, "one default per meaning")
            }
        }
        validation.check(settings.leadStatuses.count <= 100, "settings.lead_statuses", .tooMany, "has more than 100 entries")
        validation.check(settings.lostReasons.count <= 100, "settings.lost_reasons", .tooMany, "has more than 100 entries")
        var reasonKeys: Set<String> = []
        for (index, reason) in settings.lostReasons.enumerated() {
            validation.check(Self.isKey(reason.key), "settings.lost_reasons[\(index)].key", .invalidFormat, "use 1–40 characters a–z, 0–9 and _")
            validation.check(reasonKeys.insert(reason.key).inserted, "settings.lost_reasons[\(index)].key", .duplicate, "\(reason.key) appears twice")
            validation.text(reason.label, "settings.lost_reasons[\(index)].label", maximumLength: 100)
        }
        validation.check((0...10_000).contains(settings.quoteDiscountApprovalThresholdBps), "settings.quote_discount_approval_threshold_bps", .outOfRange, "must be 0…10000")
        validation.check(TimeZone(identifier: settings.timeZone) != nil, "settings.time_zone", .invalidFormat, "is not an IANA time zone")
        validation.check(Set(settings.workingDays).count == settings.workingDays.count, "settings.working_days", .duplicate, "lists a day twice")
        for day in settings.workingDays { validation.known(day, "settings.working_days") }
        validation.check((1...365).contains(settings.stalledDealDays), "settings.stalled_deal_days", .outOfRange, "must be 1…365")
        validation.check((0...168).contains(settings.dailyReportGraceHours), "settings.daily_report_grace_hours", .outOfRange, "must be 0…168")
        let code = settings.defaultCurrencyCode
        if code.count == 3 && code.allSatisfy({ $0.isASCII && $0.isUppercase }) {
            validation.check(ISO4217.exponent(of: code) != nil, "settings.default_currency_code", .unknownValue, "\(code) is not an ISO 4217 currency")
        } else {
            validation.check(false, "settings.default_currency_code", .invalidFormat, "is not an ISO 4217 code")
        }
        validation.known(settings.taxCalculation, "settings.tax_calculation", required: false)
        validation.known(settings.taxRounding, "settings.tax_rounding", required: false)
        validation.known(settings.priceBasis, "settings.price_basis", required: false)
        validation.check((0...365).contains(settings.quoteValidityDays), "settings.quote_validity_days", .outOfRange, "must be 0 (30 days) to 365")
        validation.check(
            settings.quoteNumberPrefix.count <= 10 && settings.quoteNumberPrefix.allSatisfy { ($0.isASCII && ($0.isUppercase || $0.isNumber)) || $0 == "-" },
            "settings.quote_number_prefix", .invalidFormat, "use up to 10 characters A–Z, 0–9 and -"
        )
        validation.check(settings.taxCodes.count <= 20, "settings.tax_codes", .tooMany, "has more than 20 entries")
        var taxKeys: Set<String> = []
        for (index, code) in settings.taxCodes.enumerated() {
            let field = "settings.tax_codes[\(index)]"
            validation.check(Self.isKey(code.key), field + ".key", .invalidFormat, "use 1–40 characters a–z, 0–9 and _")
            validation.check(taxKeys.insert(code.key).inserted, field + ".key", .duplicate, "\(code.key) appears twice")
            validation.text(code.label, field + ".label", maximumLength: 100)
            validation.check((0...10_000).contains(code.rateBps), field + ".rate_bps", .outOfRange, "must be 0…10000")
        }
        validation.check(settings.holidays.count <= 400, "settings.holidays", .tooMany, "has more than 400 entries")
        validation.check(Set(settings.holidays).count == settings.holidays.count, "settings.holidays", .duplicate, "lists a date twice")
        for (index, date) in settings.holidays.enumerated() { validation.date(date, "settings.holidays[\(index)]", required: true) }
        validation.known(settings.dailyReportVisibility, "settings.daily_report_visibility", required: false)
        validation.check((0...12).contains(settings.fiscalYearStartMonth), "settings.fiscal_year_start_month", .outOfRange, "must be 0 (January) to 12")
    }

    static func isKey(_ key: String) -> Bool {
        (1...40).contains(key.count) && key.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
    }

    // MARK: Teams

    public func listTeams(_ request: ListTeamsRequest, context: ServerContext) async throws -> ListTeamsResponse {
        let access = try await store.access(context)
        let page = try ListPage(request, pageSize: request.pageSize, pageToken: request.pageToken, orderBy: "")
        var query = RecordQuery<Team>()
        query.archived(included: request.includeArchived)
        let (teams, next) = try await store.list(Team.self, query, page: page, access: access)
        return ListTeamsResponse(teams: teams, nextPageToken: next)
    }

    public func createTeam(_ request: CreateTeamRequest, context: ServerContext) async throws -> Team {
        let access = try await store.access(context)
        var team = try Team.proposed(request.team)
        if !team.managerUserId.isEmpty { _ = try await store.controlPlane.user(team.managerUserId, tenantID: access.tenantID) }
        team.createdByUserId = access.principal.userID
        return try await store.create(team, access: access, context: context, request: request)
    }

    public func updateTeam(_ request: UpdateTeamRequest, context: ServerContext) async throws -> Team {
        let access = try await store.access(context)
        let changes = request.team ?? Team()
        let mask = try UpdateMask<Team>(request.updateMask, updatable: Team.updatable, prefix: "team")
        if mask.contains("manager_user_id"), !changes.managerUserId.isEmpty {
            _ = try await store.controlPlane.user(changes.managerUserId, tenantID: access.tenantID)
        }
        return try await store.update(changes, mask: mask, access: access, context: context, request: request)
    }
}
