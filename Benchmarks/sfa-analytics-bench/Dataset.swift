import Foundation
import GRDB
import SFAMessages
import SFAStorage

/// The benchmark tenant, written straight into its SQLite file through the storage
/// layer (`TenantDatabases.write`, plain INSERTs of the columns the analytics read),
/// far faster than the API: leads, deals with their stage history, activities,
/// consultations and targets, for reps in teams under managers. The `data` blobs are
/// zero bytes of a typical record's size (no figure reads them; rows keep their
/// real width). Deterministic: the same options, the same file.
struct Dataset {
    struct Options {
        var opportunities = 100_000
        var activities = 1_000_000
        var leads = 100_000
        var teams = 5
        var repsPerTeam = 10
    }

    struct People {
        var admin: String
        var managers: [String]
        /// Reps by team index.
        var reps: [[String]]
        var teamIDs: [String]
    }

    static let day: Int64 = 86_400_000
    /// 2025-04-01T00:00:00Z: a fiscal year (April start) and a half of history follow.
    static let start: Int64 = 1_743_465_600_000
    static let span: Int64 = 540 * day

    /// Users in the control plane (team scopes read them there), then the records.
    static func make(_ options: Options, controlPlane: ControlPlane, tenants: TenantDatabases) async throws -> (tenantID: String, people: People) {
        let tenant = try await controlPlane.createTenant(name: "analytics bench", createdBy: "", schemaVersion: TenantSchema.currentVersion)
        func user(_ role: Role, _ name: String, team: String, manager: String = "") async throws -> String {
            let row = UserRow.make(
                tenantID: tenant.id, displayName: name, email: "\(name)@bench.example", role: role, teamID: team, managerUserID: manager, createdBy: ""
            )
            try await controlPlane.createUser(row)
            return row.id
        }
        let teamIDs = (1...options.teams).map { "team\($0)" }
        var people = People(admin: try await user(.admin, "admin", team: ""), managers: [], reps: [], teamIDs: teamIDs)
        for (index, team) in teamIDs.enumerated() {
            let manager = try await user(.manager, "manager\(index)", team: team)
            people.managers.append(manager)
            var reps: [String] = []
            for rep in 0..<options.repsPerTeam { reps.append(try await user(.rep, "rep\(index)-\(rep)", team: team, manager: manager)) }
            people.reps.append(reps)
        }
        try await write(options, people: people, tenantID: tenant.id, tenants: tenants)
        return (tenant.id, people)
    }

    private static func write(_ options: Options, people: People, tenantID: String, tenants: TenantDatabases) async throws {
        let pipeline = try await tenants.read(tenantID) { db in
            try Pipeline(serializedBytes: Array(try Data.fetchOne(db, sql: "SELECT data FROM pipeline WHERE is_default = 1")!))
        }
        let owners = people.reps.enumerated().flatMap { team, reps in reps.map { ($0, people.teamIDs[team]) } }
        let stages = pipeline.stages
        try await tenants.write(tenantID) { db in
            var random = Seeded(state: 2026)
            try db.execute(sql: "INSERT INTO account (id, version, owner_user_id, created_by_user_id, archived, kind, industry, name_key, search, update_time_ms, data) VALUES ('acct_bench', 1, '', '', 0, 0, '', '', '', 0, x'')")
            let lead = try db.makeStatement(sql: """
                INSERT INTO lead (id, version, owner_user_id, created_by_user_id, status, custom_status, lifecycle, source, email_key, person_key,
                    search, create_time_ms, update_time_ms, mql_time_ms, sql_time_ms, converted_time_ms, converted_opportunity_id, data)
                VALUES (?, 1, ?, ?, 1, '', 1, ?, ?, '', '', ?, ?, ?, ?, ?, ?, zeroblob(250))
                """)
            let deal = try db.makeStatement(sql: """
                INSERT INTO opportunity (id, version, account_id, owner_user_id, created_by_user_id, source_lead_id, update_time_ms, create_time_ms,
                    pipeline_id, stage_id, state, forecast_category, team_id, archived, partner_source_id, expected_close_date, close_date,
                    amount_currency, amount_minor, amount_sort, contact_ids, search, weighted_minor, stage_enter_time_ms, closed_time_ms, source,
                    lost_reason, last_activity_time_ms, next_activity_time_ms, close_date_push_count, data)
                VALUES (?, ?, 'acct_bench', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', ?, ?, 'USD', ?, ?, '[]', '', ?, ?, ?, ?, ?, ?, ?, ?, zeroblob(300))
                """)
            let history = try db.makeStatement(sql: """
                INSERT INTO opportunity_history (id, opportunity_id, version, change_time_ms, kind, stage_id, previous_stage_id,
                    previous_stage_enter_time_ms, data)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, zeroblob(150))
                """)
            let quote = try db.makeStatement(sql: """
                INSERT INTO quote (id, version, opportunity_id, account_id, owner_user_id, created_by_user_id, team_id, status, quote_number,
                    is_primary, superseded, valid_until_date, update_time_ms, search, create_time_ms, amount_currency, subtotal_minor,
                    discount_minor, effective_discount_bps, requires_approval, submit_time_ms, approval_decision_time_ms, present_time_ms, data)
                VALUES (?, 1, ?, 'acct_bench', ?, ?, ?, ?, ?, 0, 0, ?, ?, '', ?, 'USD', ?, ?, ?, ?, ?, ?, ?, zeroblob(400))
                """)
            let calendar = UTCDates()
            var convertedLeads: [(id: String, time: Int64, source: Int)] = []
            for index in 0..<options.leads {
                let (owner, _) = owners[Int.random(in: 0..<owners.count, using: &random)]
                let created = start + Int64.random(in: 0..<span, using: &random)
                let mql = Int.random(in: 0..<10, using: &random) < 7 ? created + Int64.random(in: 0..<(10 * day), using: &random) : 0
                let sql = mql > 0 && Int.random(in: 0..<10, using: &random) < 5 ? mql + Int64.random(in: 0..<(10 * day), using: &random) : 0
                let converted = sql > 0 && Int.random(in: 0..<10, using: &random) < 6 ? sql + Int64.random(in: 0..<(10 * day), using: &random) : 0
                let id = "lead_b\(index)"
                let source = Int.random(in: 1...11, using: &random)
                let opportunity = converted > 0 && convertedLeads.count < options.opportunities / 2 ? "opp_b\(convertedLeads.count)" : ""
                if !opportunity.isEmpty { convertedLeads.append((id, converted, source)) }
                try lead.execute(arguments: [id, owner, owner, source, "\(id)@lead.example", created, created, mql, sql, converted, opportunity])
            }
            for index in 0..<options.opportunities {
                let (owner, team) = owners[Int.random(in: 0..<owners.count, using: &random)]
                let fromLead = index < convertedLeads.count ? convertedLeads[index] : nil
                let created = fromLead.map { $0.time + 60_000 } ?? start + Int64.random(in: 0..<span, using: &random)
                var path = [(stage: 0, time: created)]
                var time = created
                while path.count < 7, path[path.count - 1].stage < 5 {
                    let roll = Int.random(in: 0..<10, using: &random)
                    guard roll < 8 else { break }
                    time += Int64.random(in: 3_600_000..<(25 * day), using: &random)
                    let current = path[path.count - 1].stage
                    path.append((roll == 0 ? 6 : roll == 1 ? 5 : min(current + 1, 4) == current ? 5 : current + 1, time))
                }
                let last = path[path.count - 1]
                let stage = stages[last.stage]
                let amount = Int64.random(in: 10_000...10_000_000, using: &random)
                let closed = stage.isClosed ? last.time : 0
                let expected = calendar.date(created + Int64.random(in: 30...150, using: &random) * day)
                let state = !stage.isClosed ? 1 : stage.isWon ? 2 : 3
                // Activity times and close-date pushes, as the engine derives them: most
                // deals touched now and then, some with a planned next step.
                let touched = Int.random(in: 0..<10, using: &random) < 8 ? created + Int64.random(in: 0..<(60 * day), using: &random) : 0
                let planned = Int.random(in: 0..<2, using: &random) == 0 ? touched + Int64.random(in: day..<(30 * day), using: &random) : 0
                try deal.execute(arguments: [
                    "opp_b\(index)", path.count, owner, owner, fromLead?.id ?? "", last.time, created, pipeline.id, stage.id, state,
                    stage.forecastCategory.rawValue, team, expected, closed > 0 ? calendar.date(closed) : expected, amount, amount * 100,
                    amount * Int64(stage.defaultProbabilityPercent) / 100, last.time, closed, fromLead?.source ?? Int.random(in: 1...11, using: &random),
                    state == 3 ? ["price", "timing", "competitor", "no_budget"][Int.random(in: 0..<4, using: &random)] : "",
                    touched, planned, Int.random(in: 0..<4, using: &random),
                ])
                // Half the deals quoted once: a discount, the approvals it needed, and when.
                if index % 2 == 0 {
                    let discount = Int.random(in: 0..<3000, using: &random)
                    let submitted = created + Int64.random(in: 0..<(10 * day), using: &random)
                    let decided = discount > 1500 ? submitted + Int64.random(in: 60_000..<(3 * day), using: &random) : 0
                    try quote.execute(arguments: [
                        "quot_b\(index)", "opp_b\(index)", owner, owner, team, decided > 0 ? 5 : 3, "Q-\(index)", calendar.date(created + 30 * day),
                        submitted, created, amount, amount * Int64(discount) / 10_000, discount, discount > 1500, submitted, decided,
                        submitted + day,
                    ])
                }
                var previous = ""
                var entered: Int64 = 0
                for (version, step) in path.enumerated() {
                    try history.execute(arguments: [
                        "oh_b\(index)_\(version)", "opp_b\(index)", version + 1, step.time, version == 0 ? 1 : 2, stages[step.stage].id, previous,
                        version == 0 ? 0 : entered,
                    ])
                    (previous, entered) = (stages[step.stage].id, step.time)
                }
            }
        }
        // Activities in batches: one transaction of a million rows holds the writer long.
        let batch = 200_000
        for first in stride(from: 0, to: options.activities, by: batch) {
            try await tenants.write(tenantID) { db in
                var random = Seeded(state: UInt64(first) &+ 7)
                let calendar = UTCDates()
                let activity = try db.makeStatement(sql: """
                    INSERT INTO activity (id, version, owner_user_id, created_by_user_id, archived, kind, state, lead_id, account_id, opportunity_id,
                        consultation_id, contact_ids, attendee_user_ids, activity_time_ms, end_time_ms, activity_date, external_id, search,
                        update_time_ms, call_result, duration_ms, data)
                    VALUES (?, 1, ?, ?, 0, ?, ?, ?, 'acct_bench', ?, '', '[]', '[]', ?, 0, ?, '', '', ?, ?, ?, zeroblob(200))
                    """)
                let consultation = try db.makeStatement(sql: """
                    INSERT INTO consultation (id, version, owner_user_id, created_by_user_id, archived, channel, result, interest, lead_id, account_id,
                        opportunity_id, contact_ids, attendee_user_ids, start_time_ms, consultation_date, next_contact_date, search, update_time_ms, data)
                    VALUES (?, 1, ?, ?, 0, 1, 0, 0, '', 'acct_bench', '', '[]', '[]', ?, ?, '', '', ?, zeroblob(200))
                    """)
                for index in first..<min(first + batch, options.activities) {
                    let (owner, _) = owners[Int.random(in: 0..<owners.count, using: &random)]
                    let time = start + Int64.random(in: 0..<span, using: &random)
                    let kind = Int.random(in: 1...6, using: &random)
                    let roll = Int.random(in: 0..<10, using: &random)
                    let state = roll < 7 ? 2 : roll < 9 ? 1 : 3
                    // A fifth of them work a lead (speed to lead).
                    let lead = index % 5 == 0 ? "lead_b\(Int.random(in: 0..<options.leads, using: &random))" : ""
                    try activity.execute(arguments: [
                        "act_b\(index)", owner, owner, kind, state, lead, "opp_b\(Int.random(in: 0..<options.opportunities, using: &random))", time,
                        calendar.date(time), time, state == 2 && kind == 1 ? Int.random(in: 1...5, using: &random) : 0,
                        state == 2 ? Int64.random(in: 0..<3_600_000, using: &random) : 0,
                    ])
                    if index % 10 == 0 {
                        try consultation.execute(arguments: ["cons_b\(index)", owner, owner, time, calendar.date(time), time])
                    }
                }
            }
        }
        try await tenants.write(tenantID) { db in
            // The leads' first touch, as the activities' hooks keep it.
            try db.execute(sql: """
                UPDATE lead SET first_touch_time_ms = coalesce((
                    SELECT min(activity_time_ms) FROM activity
                    WHERE lead_id = lead.id AND state = 2 AND archived = 0 AND activity_time_ms >= lead.create_time_ms
                ), 0)
                """)
            // Each rep's daily reports on weekdays: most submitted (some late), reviewed or not.
            var random = Seeded(state: 13)
            let calendar = UTCDates()
            let report = try db.makeStatement(sql: """
                INSERT INTO daily_report (id, version, owner_user_id, created_by_user_id, team_id, status, report_date, approver_user_id,
                    reader_user_ids, submit_time_ms, update_time_ms, data)
                VALUES (?, 1, ?, ?, ?, ?, ?, '', '[]', ?, ?, zeroblob(300))
                """)
            for (owner, team) in owners {
                for offset in stride(from: Int64(0), to: span / day, by: 1) where (offset + 1) % 7 < 5 {
                    let roll = Int.random(in: 0..<20, using: &random)
                    guard roll < 18 else { continue }
                    let date = start + offset * day
                    let submitted = roll == 0 ? Int64(0) : date + Int64.random(in: (17 * 3_600_000)..<(40 * 3_600_000), using: &random)
                    let status = submitted == 0 ? 1 : [2, 3, 3, 3, 4][Int.random(in: 0..<5, using: &random)]
                    try report.execute(arguments: ["drpt_\(owner)_\(offset)", owner, owner, team, status, calendar.date(date), submitted, date])
                }
            }
            let target = try db.makeStatement(sql: """
                INSERT INTO sales_target (id, version, owner_user_id, created_by_user_id, team_id, month, amount_currency, amount_minor, update_time_ms, data)
                VALUES (?, 1, ?, '', ?, ?, 'USD', ?, 0, zeroblob(60))
                """)
            let months = (0..<18).map { offset in "\(2025 + (3 + offset) / 12)-\(String(format: "%02d", (3 + offset) % 12 + 1))" }
            for month in months {
                try target.execute(arguments: ["tgt_t_\(month)", "", "", month, 5_000_000_000])
                for team in people.teamIDs { try target.execute(arguments: ["tgt_\(team)_\(month)", "", team, month, 1_000_000_000]) }
                for rep in owners.map(\.0) { try target.execute(arguments: ["tgt_\(rep)_\(month)", rep, "", month, 100_000_000]) }
            }
        }
    }
}

/// SplitMix64: the same seed, the same dataset.
struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// UTC calendar dates (the benchmark tenant's time zone).
struct UTCDates {
    private let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()

    func date(_ ms: Int64) -> String {
        let day = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        return String(format: "%04d-%02d-%02d", day.year!, day.month!, day.day!)
    }
}
