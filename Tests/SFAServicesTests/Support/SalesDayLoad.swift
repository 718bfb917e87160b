import SFALoad
import SFAStubs
import Synchronization
import Testing

/// A record as a write left it: which one, and its version after the write.
struct WrittenRecord: Hashable, Sendable, CustomStringConvertible {
    var kind: RecordKind
    var id: String
    var version: Int64

    var description: String { "\(kind) \(id) v\(version)" }

    /// The records a write's response holds; none for a response that holds no record.
    static func all(in response: any ProtoMessage) -> [WrittenRecord] {
        switch response {
        case let lead as Lead: return [WrittenRecord(kind: .lead, id: lead.id, version: lead.version)]
        case let created as CreateLeadResponse: return created.lead.map { all(in: $0) } ?? []
        case let account as Account: return [WrittenRecord(kind: .account, id: account.id, version: account.version)]
        case let deal as Opportunity: return [WrittenRecord(kind: .opportunity, id: deal.id, version: deal.version)]
        case let activity as Activity: return [WrittenRecord(kind: .activity, id: activity.id, version: activity.version)]
        case let write as ActivityWrite: return write.activity.map { all(in: $0) } ?? []
        case let consultation as Consultation:
            return [WrittenRecord(kind: .consultation, id: consultation.id, version: consultation.version)]
        case let created as CreateConsultationResponse:
            let parts: [(any ProtoMessage)?] = [created.consultation, created.nextActivity, created.opportunity]
            return parts.compactMap { $0 }.flatMap { all(in: $0) }
        case let quote as Quote: return [WrittenRecord(kind: .quote, id: quote.id, version: quote.version)]
        default: return []
        }
    }
}

/// The calls a load run's server acknowledged, collected by the run's observer: every
/// successful reply, or only those of writes (methods that are not safe to repeat).
final class AcknowledgedCalls: Sendable {
    private let replies = Mutex<[LoadReply]>([])
    private let writesOnly: Bool

    init(writesOnly: Bool = true) {
        self.writesOnly = writesOnly
    }

    /// The observer to give the run.
    var observer: LoadObserver {
        { [self] reply in
            guard !writesOnly || !reply.method.isIdempotent else { return }
            replies.withLock { $0.append(reply) }
        }
    }

    /// Every acknowledged call so far, in the order the replies came.
    var all: [LoadReply] { replies.withLock { $0 } }

    var count: Int { replies.withLock { $0.count } }

    /// How many calls of `method` were acknowledged.
    func count(of method: MethodDescriptor) -> Int { all.count { $0.method == method } }

    /// The records the acknowledged calls left.
    var records: [WrittenRecord] { all.flatMap { WrittenRecord.all(in: $0.response) } }
}

extension TenantFixture {
    /// The fixture of a load run for one user of a test tenant, seeded through the API
    /// with the user's key as `sfa-load setup` seeds its tenants: an account, two leads
    /// and two deals of the user's own, and the default pipeline's open stages.
    static func seeded(
        through caller: any RPCCaller, key: String, tenantID: String, userID: String, name: String
    ) async throws -> TenantFixture {
        let options = CallOptions(apiKey: key)
        let pipelines = try await PipelineServiceClient(caller).listPipelines(ListPipelinesRequest(), options: options).pipelines
        let pipeline = try #require(pipelines.first { $0.isDefault })
        let account = try await AccountServiceClient(caller).createAccount(
            CreateAccountRequest(account: Account(name: "\(name) Customer", kind: .customer)), options: options
        )
        var fixture = TenantFixture(
            tenantId: tenantID, name: name, apiKey: key, userId: userID, accounts: [account.id], pipelineId: pipeline.id,
            stages: pipeline.stages.filter { !$0.isClosed && !$0.retired }.map(\.id)
        )
        for index in 1...2 {
            // The suffix goes into the lead's email address: letters and digits only.
            let lead = LeadLifecycleTests.sampleLead("\(name.filter(\.isLetter))\(index)")
            let created = try await LeadServiceClient(caller).createLead(CreateLeadRequest(lead: lead, allowDuplicate: true), options: options)
            fixture.leads.append(try #require(created.lead).id)
            let deal = Opportunity(
                name: "\(name) deal \(index)", accountId: account.id, amount: Money(currencyCode: "JPY", amountMinor: 1_000_000),
                expectedCloseDate: "2030-03-31"
            )
            fixture.opportunities.append(try await OpportunityServiceClient(caller).createOpportunity(CreateOpportunityRequest(opportunity: deal), options: options).id)
        }
        return fixture
    }
}
