import SFAStubs
import Synchronization
import Testing

/// Bulk import and pagination at volume.
@Suite struct LeadImportTests {
    private static func row(_ index: Int, prefix: String = "row") -> Lead {
        Lead(
            firstName: "First\(index)",
            lastName: "Last\(index)",
            email: "\(prefix)\(index)@import.example",
            companyName: "Company \(prefix) \(index)",
            source: .fileImport
        )
    }

    @Test(.timeLimit(.minutes(5))) func tenThousandRowsReportEachRowAndARetryCreatesNothing() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Import")
            let marketing = stack.leads(tenant.keys[.marketing])
            // 250 leads exist before the import.
            let existing = try await marketing.importLeads(ImportLeadsRequest(leads: (0..<250).map { Self.row($0, prefix: "old") }))
            #expect(existing.createdCount == 250)

            var rows: [Lead] = []
            var expected: [ImportRowOutcome] = []
            for index in 0..<10_000 {
                switch index % 20 {
                case 0:  // 5% invalid: a bad email and no company
                    rows.append(Lead(lastName: "Broken\(index)", email: "broken-\(index)", source: .fileImport))
                    expected.append(.invalid)
                case 1 where index % 40 == 1:  // 2.5% duplicate an existing lead
                    rows.append(Self.row((index / 40) % 250, prefix: "old"))
                    expected.append(.duplicate)
                case 1:  // 2.5% duplicate a created row earlier in the same import
                    var copy = rows[index - 2]
                    copy.firstName = "Again"
                    rows.append(copy)
                    expected.append(.duplicate)
                default:
                    rows.append(Self.row(index))
                    expected.append(.created)
                }
            }
            // The rows duplicated within the import copy rows that are created.
            #expect(expected.indices.allSatisfy { expected[$0] != .duplicate || $0 % 40 == 1 || expected[$0 - 2] == .created })

            let options = CallOptions(timeout: .seconds(240), idempotencyKey: "import-2026-11-23")
            let report = try await marketing.importLeads(ImportLeadsRequest(leads: rows), options: options)
            #expect(report.results.count == 10_000)
            #expect(report.invalidCount == 500)
            #expect(report.duplicateCount == 500)
            #expect(report.createdCount == 9_000)
            let mismatches = report.results.indices.filter { report.results[$0].outcome != expected[$0] }
            #expect(mismatches.isEmpty, "\(mismatches.count) rows with another outcome, first at \(mismatches.first ?? -1)")
            #expect(report.results.enumerated().allSatisfy { Int($1.rowIndex) == $0 })
            let invalid = report.results.first { $0.outcome == .invalid }!
            #expect(Set(invalid.fieldViolations.map(\.field)).isSuperset(of: ["lead.email", "lead.company_name"]))
            #expect(report.results.filter { $0.outcome == .duplicate }.allSatisfy { !$0.duplicates.isEmpty })
            #expect(report.results.filter { $0.outcome == .created }.allSatisfy { $0.leadId.hasPrefix("lead_") })

            let retry = try await marketing.importLeads(ImportLeadsRequest(leads: rows), options: options)
            #expect(retry == report)
            let count = try await countLeads(marketing)
            #expect(count == 9_250)
        }
    }

    @Test(.timeLimit(.minutes(5))) func paginationReturnsEveryExistingLeadOnceWhileLeadsAreInserted() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Pages")
            let marketing = stack.leads(tenant.keys[.marketing])
            var existing: Set<String> = []
            for batch in 0..<2 {
                let rows = (0..<2500).map { Self.row(batch * 2500 + $0) }
                let report = try await marketing.importLeads(ImportLeadsRequest(leads: rows), options: CallOptions(timeout: .seconds(120)))
                existing.formUnion(report.results.map(\.leadId))
            }
            #expect(existing.count == 5000)

            let stop = Atomic<Bool>(false)
            let inserter = Task {
                var index = 0
                while !stop.load(ordering: .relaxed) {
                    _ = try await marketing.createLead(CreateLeadRequest(lead: Self.row(index, prefix: "new")))
                    index += 1
                }
                return index
            }
            var seen: [String] = []
            for order in ["create_time_ms", "create_time_ms desc"] {
                seen.removeAll()
                var token = ""
                repeat {
                    let page = try await marketing.listLeads(ListLeadsRequest(pageSize: 173, pageToken: token, orderBy: order))
                    seen += page.leads.map(\.id)
                    token = page.nextPageToken
                } while !token.isEmpty
                #expect(Set(seen).count == seen.count, "\(order): a lead came twice")
                #expect(existing.isSubset(of: Set(seen)), "\(order): \(existing.subtracting(seen).count) leads missing")
            }
            stop.store(true, ordering: .relaxed)
            let inserted = try await inserter.value
            #expect(inserted > 0, "no lead was inserted during the listing")
            // A page token from one list is refused by a list with other filters.
            let first = try await marketing.listLeads(ListLeadsRequest(pageSize: 10))
            #expect(await statusOf {
                try await marketing.listLeads(ListLeadsRequest(pageSize: 10, pageToken: first.nextPageToken, query: "other"))
            } == .invalidArgument)
        }
    }

    private func countLeads(_ client: LeadServiceClient) async throws -> Int {
        var count = 0
        var token = ""
        repeat {
            let page = try await client.listLeads(ListLeadsRequest(pageSize: 500, pageToken: token))
            count += page.leads.count
            token = page.nextPageToken
        } while !token.isEmpty
        return count
    }
}
