import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Consultations over the real server: the next step and the deal update in the
/// consultation's transaction, attendees reading what they attended, the lists.
@Suite struct ConsultationTests {
    @Test func aConsultationPlansItsNextStepAndMovesTheDealInOneTransaction() async throws {
        try await withStack { stack in
            let fixture = try await ActivityTests.fixture(stack, "Shodan")
            let consultations = stack.consultations(fixture.tenant.keys[.rep])
            let deals = stack.opportunities(fixture.tenant.keys[.rep])
            let pipeline = try #require(try await stack.pipelines(fixture.tenant.keys[.rep]).listPipelines(ListPipelinesRequest()).pipelines.first)
            let meeting = Consultation(
                title: "Needs hearing", startTimeMs: ActivityTests.monday9, durationMs: ActivityTests.hour, channel: .visit,
                contactIds: [fixture.contact.id], attendeeUserIds: [fixture.tenant.users[.insideSales]!.id], opportunityId: fixture.deal.id,
                customerNeeds: "Fewer manual reports", proposed: "Pilot", result: .progressed, customerInterest: .hot, customFields: ["budget_year": "2030"]
            )
            let nextStep = Activity(kind: .demo, subject: "Pilot demo", startTimeMs: ActivityTests.monday9 + 72 * ActivityTests.hour, endTimeMs: ActivityTests.monday9 + 73 * ActivityTests.hour)

            // A stage that is closed is refused: neither the consultation nor its next step is kept.
            let closed = try #require(pipeline.stages.first { $0.isClosed })
            let refused = try #require(await failure {
                try await consultations.createConsultation(CreateConsultationRequest(
                    consultation: meeting, nextActivity: nextStep, dealUpdate: ConsultationDealUpdate(version: fixture.deal.version, stageId: closed.id)
                ))
            })
            #expect(refused.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["deal_update.stage_id NOT_ALLOWED"])
            #expect(try await consultations.listConsultations(ListConsultationsRequest()).consultations.isEmpty)
            #expect(try await fixture.activities.listActivities(ListActivitiesRequest()).activities.isEmpty)
            #expect(try await deals.getOpportunity(GetOpportunityRequest(id: fixture.deal.id)) == fixture.deal)

            let created = try await consultations.createConsultation(CreateConsultationRequest(
                consultation: meeting, nextActivity: nextStep,
                dealUpdate: ConsultationDealUpdate(version: fixture.deal.version, stageId: pipeline.stages[1].id, amount: Money(currencyCode: "JPY", amountMinor: 4_500_000))
            ))
            let consultation = try #require(created.consultation)
            #expect(consultation.accountId == fixture.account.id)
            #expect(consultation.consultationDate == "2030-04-01")
            let next = try #require(created.nextActivity?.activity)
            #expect(next.state == .planned)
            #expect(next.consultationId == consultation.id)
            #expect(next.opportunityId == fixture.deal.id)
            let deal = try #require(created.opportunity)
            #expect(deal.stageId == pipeline.stages[1].id)
            #expect(deal.amount?.amountMinor == 4_500_000)
            #expect(deal.lastActivityTimeMs == ActivityTests.monday9)
            #expect(deal.nextActivityTimeMs == next.startTimeMs)
            let history = try await deals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)).entries
            #expect(history.map(\.kind) == [.created, .stageChanged])
            #expect(history.last?.amount?.amountMinor == 4_500_000)
            #expect(history.last?.changedByUserId == fixture.rep.id)

            // The attendee reads it (and finds it by attendee); a colleague who did not attend does not.
            let attendee = stack.consultations(fixture.tenant.keys[.insideSales])
            #expect(try await attendee.getConsultation(GetConsultationRequest(id: consultation.id)) == consultation)
            #expect(try await attendee.listConsultations(ListConsultationsRequest(attendeeUserId: fixture.tenant.users[.insideSales]!.id)).consultations.map(\.id) == [consultation.id])
            #expect(await statusOf { try await attendee.updateConsultation(UpdateConsultationRequest(
                consultation: Consultation(id: consultation.id, version: consultation.version, title: "Mine now"), updateMask: ["title"]
            )) } == .notFound)
            let admin = stack.admin(fixture.tenant.keys[.admin])
            let colleague = try await admin.createUser(CreateUserRequest(user: User(displayName: "Colleague", email: "colleague@shodan.example", role: .rep, teamId: "t1")))
            let colleagueKey = try await admin.issueApiKey(IssueApiKeyRequest(userId: colleague.id)).secret
            #expect(await statusOf { try await stack.consultations(colleagueKey).getConsultation(GetConsultationRequest(id: consultation.id)) } == .notFound)

            // Search and filters.
            let list = { (request: ListConsultationsRequest) in try await consultations.listConsultations(request).consultations.map(\.id) }
            #expect(try await list(ListConsultationsRequest(query: "manual")) == [consultation.id])
            #expect(try await list(ListConsultationsRequest(contactId: fixture.contact.id)) == [consultation.id])
            #expect(try await list(ListConsultationsRequest(channels: [.phone])).isEmpty)
            #expect(try await list(ListConsultationsRequest(interests: [.hot])) == [consultation.id])
        }
    }

    @Test func aDealUpdateAtAStaleVersionLeavesNothingBehind() async throws {
        try await withStack { stack in
            let fixture = try await ActivityTests.fixture(stack, "Stale Deal")
            let consultations = stack.consultations(fixture.tenant.keys[.rep])
            let refused = try #require(await failure {
                try await consultations.createConsultation(CreateConsultationRequest(
                    consultation: Consultation(title: "Call", startTimeMs: ActivityTests.monday9, channel: .phone, opportunityId: fixture.deal.id),
                    dealUpdate: ConsultationDealUpdate(version: fixture.deal.version + 1, expectedCloseDate: "2030-09-30")
                ))
            })
            #expect(refused.code == .aborted)
            #expect(try await consultations.listConsultations(ListConsultationsRequest()).consultations.isEmpty)
            let deal = try await stack.opportunities(fixture.tenant.keys[.rep]).getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
            #expect(deal == fixture.deal)
            // Inside sales may update deals but not move their stage.
            let insideSales = stack.consultations(fixture.tenant.keys[.insideSales])
            let notAllowed = try #require(await failure {
                try await insideSales.createConsultation(CreateConsultationRequest(
                    consultation: Consultation(title: "Call", startTimeMs: ActivityTests.monday9, channel: .phone, opportunityId: fixture.deal.id),
                    dealUpdate: ConsultationDealUpdate(version: fixture.deal.version, stageId: "stg_x")
                ))
            })
            #expect(notAllowed.code == .permissionDenied)
        }
    }
}
