import GRDB
import SFAStorage
public import SFAStubs

extension LeadService {
    /// The most rows one ImportLeads call takes.
    static let maximumImportRows = 10_000

    /// Imports up to 10,000 leads in one transaction. Each row is checked on its own
    /// and reported: CREATED (with its id), DUPLICATE (with the matches, earlier rows
    /// of the same import included) or INVALID (with field violations). With an
    /// idempotency key a retried import returns the first report and creates nothing.
    public func importLeads(_ request: ImportLeadsRequest, context: ServerContext) async throws -> ImportLeadsResponse {
        let access = try await store.access(context)
        guard request.leads.count <= Self.maximumImportRows else {
            throw RPCError.invalidArgument(
                "too many rows",
                violations: [FieldViolation("leads", .tooMany, "at most \(Self.maximumImportRows) rows per call, got \(request.leads.count)")]
            )
        }
        // Owners are checked once each, before the transaction.
        var owners: [String: Result<String, RPCError>] = [:]
        if access.principal.role != .partner {
            for requested in Set(request.leads.map(\.ownerUserId)) {
                do {
                    owners[requested] = .success(try await store.owner(requested, access: access, field: "lead.owner_user_id"))
                } catch let error as RPCError {
                    owners[requested] = .failure(error)
                }
            }
        }
        let resolvedOwners = owners
        let partnerID = access.principal.role == .partner ? access.principal.userID : nil
        let caller = access.principal.userID
        return try await store.write(access, context: context, request: request) { db, trail in
            let settings = try SettingsRecords.load(db)
            var response = ImportLeadsResponse()
            for (index, row) in request.leads.enumerated() {
                var result = ImportLeadRowResult(rowIndex: Int32(index))
                var validation = Validation()
                LeadRecords.validateStatus(row.status, "lead.status", into: &validation)
                var lead = try LeadService.stamp(row, createdBy: caller)
                lead.validate(prefix: "lead.", into: &validation)
                if let partnerID {
                    lead.ownerUserId = ""
                    lead.partnerSourceId = partnerID
                } else {
                    switch resolvedOwners[row.ownerUserId] {
                    case .success(let owner)?: lead.ownerUserId = owner
                    case .failure(let error)?: result.fieldViolations += error.details.fieldViolations
                    case nil: break
                    }
                }
                result.fieldViolations += validation.violations
                do {
                    try LeadRecords.applyCustomStatus(&lead, settings: settings, field: "lead.custom_status")
                } catch let error as RPCError {
                    result.fieldViolations += error.details.fieldViolations
                }
                guard result.fieldViolations.isEmpty else {
                    result.outcome = .invalid
                    response.invalidCount += 1
                    response.results.append(result)
                    continue
                }
                let duplicates = try LeadRecords.duplicates(db, of: lead, access: access)
                if !duplicates.isEmpty, !request.allowDuplicate {
                    result.outcome = .duplicate
                    result.duplicates = duplicates
                    response.duplicateCount += 1
                } else {
                    if !request.dryRun {
                        try RecordRows.insert(db, lead)
                        trail.record(.lead, lead.id, .create, version: 1, changes: LeadService.creationChanges(lead))
                    }
                    result.outcome = .created
                    result.leadId = request.dryRun ? "" : lead.id
                    result.duplicates = duplicates
                    response.createdCount += 1
                }
                response.results.append(result)
            }
            return response
        }
    }
}
