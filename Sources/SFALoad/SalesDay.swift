import SFAMessages
import SFARPC
import SFAStubs

/// A sales team's day in calls, by weight: mostly reading leads, deals and accounts
/// and logging what was done (calls, visits), some new leads and quotes, stage moves.
/// Daily reports are left out: one per user and day, a report cannot be written
/// thousands of times a second. Analytics joins the mix when its service is served
/// (it answers UNIMPLEMENTED today).
enum SalesDay {
    static func scenario() throws -> Scenario {
        let templates: [(Int, String, String)] = [
            (18, "LeadService/GetLead", #"{"id": "{{lead}}"}"#),
            (8, "LeadService/ListLeads", #"{"page_size": 20}"#),
            (10, "OpportunityService/GetOpportunity", #"{"id": "{{opportunity}}"}"#),
            (8, "OpportunityService/ListOpportunities", #"{"page_size": 20}"#),
            (6, "AccountService/GetAccount", #"{"id": "{{account}}"}"#),
            (5, "ActivityService/ListActivities", #"{"page_size": 20}"#),
            (
                14, "ActivityService/CreateActivity",
                #"{"activity": {"kind": "ACTIVITY_KIND_CALL", "state": "ACTIVITY_STATE_DONE", "subject": "Call with {{name}}", "#
                    + #""done_time_ms": {{now_ms}}, "call_result": "CALL_RESULT_CONNECTED", "opportunity_id": "{{opportunity}}"}}"#
            ),
            (
                5, "ConsultationService/CreateConsultation",
                #"{"consultation": {"title": "Visit to {{company}}", "start_time_ms": {{now_ms}}, "channel": "CONSULTATION_CHANNEL_VISIT", "#
                    + #""account_id": "{{account}}", "opportunity_id": "{{opportunity}}", "summary": "Talked about {{word}}"}}"#
            ),
            (
                8, "LeadService/CreateLead",
                #"{"lead": {"first_name": "{{name}}", "last_name": "{{word}}", "email": "{{email}}", "company_name": "{{company}}", "source": "LEAD_SOURCE_WEBSITE"}, "#
                    + #""allow_duplicate": true}"#
            ),
            (
                4, "QuoteService/CreateQuote",
                #"{"quote": {"opportunity_id": "{{opportunity}}", "name": "Quote {{seq}}", "currency_code": "JPY", "#
                    + #""valid_until_date": "{{date +30}}", "lines": [{"description": "{{word}}", "quantity_milli": 1000, "#
                    + #""unit_price": {"currency_code": "JPY", "amount_minor": {{int 1000 900000}}}}]}}"#
            ),
            (5, "ConsultationService/ListConsultations", #"{"page_size": 20}"#),
        ]
        var steps = try templates.map { weight, method, body in try TemplateStep.make(name: nil, weight: weight, method: method, body: body) }
        steps.append(Step(name: "MoveOpportunityStage", weight: 5, call: moveStage))
        return try Scenario(name: "sales-day", steps: steps)
    }

    /// Reads a deal and moves it to another open stage, as a rep dragging a card
    /// does; reported as one step. A version conflict with a concurrent move (the same
    /// deal moved by another worker) is retried after reading it again, twice at most.
    @Sendable static func moveStage(_ call: StepCall, _ random: inout RandomSource) async throws {
        guard let id = call.tenant.opportunities.randomElement(using: &random), call.tenant.stages.count > 1 else {
            throw LoadError("the tenant has no opportunity or stages: use a keys file from sfa-load setup")
        }
        let deals = OpportunityServiceClient(call.caller)
        for attempt in 1...3 {
            let deal = try await deals.getOpportunity(GetOpportunityRequest(id: id), options: call.options)
            let stage = call.tenant.stages.filter { $0 != deal.stageId }.randomElement(using: &random)!
            do {
                _ = try await deals.moveOpportunityStage(
                    MoveOpportunityStageRequest(id: id, version: deal.version, stageId: stage),
                    options: call.options
                )
                return
            } catch let error as RPCError where error.code == .aborted && attempt < 3 {
                continue
            }
        }
    }
}
