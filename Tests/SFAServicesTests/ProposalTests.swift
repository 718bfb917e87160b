import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Proposals over the real server, and the document triggers that move a deal forward
/// when a proposal is submitted or a quote presented.
@Suite struct ProposalTests {
    static let document = DocumentReference(
        uri: "https://files.example/deck.pdf", sha256: String(repeating: "ab", count: 32), fileName: "deck.pdf", sizeBytes: 1_048_576
    )

    @Test func aProposalIsSubmittedReviewedRejectedRevisedAndAcceptedMovingTheDealForward() async throws {
        try await withStack { stack in
            let fixture = try await QuoteWorkflowTests.fixture(stack, "Proposals")
            let settings = stack.settings(fixture.tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(settings: TenantSettings(version: current.version, advanceStageOnDocuments: true), updateMask: ["advance_stage_on_documents"]))
            let contact = try await stack.contacts(fixture.tenant.keys[.rep]).createContact(CreateContactRequest(contact: Contact(accountId: fixture.deal.accountId, lastName: "Buyer", email: "buyer@proposals.example")))
            let quote = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(
                opportunityId: fixture.deal.id, name: "Q", lines: [QuoteLine(quantityMilli: 1000, unitPrice: QuoteWorkflowTests.yen(500_000), taxRateBps: 1000)]
            )))
            let proposals = stack.proposals(fixture.tenant.keys[.rep])
            var proposal = try await proposals.createProposal(CreateProposalRequest(proposal: Proposal(
                opportunityId: fixture.deal.id, title: "Rollout proposal", proposedValue: QuoteWorkflowTests.yen(500_000), dueDate: "2027-01-15",
                recipientContactId: contact.id, quoteId: quote.id
            )))
            #expect(proposal.status == .draft)
            #expect(proposal.revision == 1)
            #expect(proposal.accountId == fixture.deal.accountId)
            // Submitting needs the document.
            let noDocument = try #require(await failure { try await proposals.submitProposal(SubmitProposalRequest(id: proposal.id, version: proposal.version)) })
            #expect(noDocument.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["document REQUIRED"])
            proposal = try await proposals.updateProposal(UpdateProposalRequest(proposal: Proposal(id: proposal.id, version: proposal.version, document: Self.document), updateMask: ["document"]))
            // Its quote is still a draft: no unapproved price goes out in a proposal.
            let unapproved = try #require(await failure { try await proposals.submitProposal(SubmitProposalRequest(id: proposal.id, version: proposal.version)) })
            #expect(unapproved.details.reason == "QUOTE_NOT_APPROVED")
            #expect(try await proposals.getProposal(GetProposalRequest(id: proposal.id)) == proposal)
            let approved = try await fixture.repQuotes.submitQuoteForApproval(SubmitQuoteForApprovalRequest(id: quote.id, version: quote.version))
            #expect(approved.status == .approved)
            proposal = try await proposals.submitProposal(SubmitProposalRequest(id: proposal.id, version: proposal.version))
            #expect(proposal.status == .submitted)
            // The deal moved from its first stage to "Proposal submitted", with history.
            let deals = stack.opportunities(fixture.tenant.keys[.rep])
            var deal = try await deals.getOpportunity(GetOpportunityRequest(id: fixture.deal.id))
            let pipeline = try await stack.pipelines(fixture.tenant.keys[.rep]).getPipeline(GetPipelineRequest(id: deal.pipelineId))
            #expect(deal.stageId == pipeline.stages[2].id)
            #expect(try await deals.getOpportunityHistory(GetOpportunityHistoryRequest(opportunityId: deal.id)).entries.map(\.kind) == [.created, .stageChanged])
            // A submitted proposal is not edited.
            #expect(await failure {
                try await proposals.updateProposal(UpdateProposalRequest(proposal: Proposal(id: proposal.id, version: proposal.version, title: "x"), updateMask: ["title"]))
            }?.details.reason == "INVALID_STATE_TRANSITION")

            proposal = try await proposals.markProposalUnderReview(MarkProposalUnderReviewRequest(id: proposal.id, version: proposal.version))
            proposal = try await proposals.rejectProposal(RejectProposalRequest(id: proposal.id, version: proposal.version, reason: "scope too wide"))
            #expect(proposal.status == .rejected)
            #expect(proposal.decisionNote == "scope too wide")
            let second = try await proposals.reviseProposal(ReviseProposalRequest(id: proposal.id, version: proposal.version))
            #expect(second.revision == 2)
            #expect(second.status == .draft)
            #expect(second.previousRevisionProposalId == proposal.id)
            #expect(second.document == Self.document)
            let old = try await proposals.getProposal(GetProposalRequest(id: proposal.id))
            #expect(old.supersededByProposalId == second.id)
            #expect(await failure { try await proposals.withdrawProposal(WithdrawProposalRequest(id: old.id, version: old.version)) }?.details.reason == "SUPERSEDED")

            // Presenting a quote moves the deal on to "Quote presented"; a later
            // proposal never moves it back.
            _ = try await fixture.repQuotes.presentQuote(PresentQuoteRequest(id: approved.id, version: approved.version))
            deal = try await deals.getOpportunity(GetOpportunityRequest(id: deal.id))
            #expect(deal.stageId == pipeline.stages[3].id)
            var again = try await proposals.submitProposal(SubmitProposalRequest(id: second.id, version: second.version))
            #expect(try await deals.getOpportunity(GetOpportunityRequest(id: deal.id)).stageId == pipeline.stages[3].id)
            again = try await proposals.acceptProposal(AcceptProposalRequest(id: again.id, version: again.version, note: "signed"))
            #expect(again.status == .accepted)
            #expect(try await proposals.listProposals(ListProposalsRequest(opportunityId: deal.id, statuses: [.accepted])).proposals.map(\.id) == [again.id])
        }
    }

    @Test func linksMustBelongToTheDealAndRefusalsCreateNothing() async throws {
        try await withStack { stack in
            let fixture = try await QuoteWorkflowTests.fixture(stack, "Proposal Links")
            let elsewhere = try await stack.opportunities(fixture.tenant.keys[.rep]).createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
                name: "Other", accountId: fixture.deal.accountId, amount: QuoteWorkflowTests.yen(1), expectedCloseDate: "2027-01-01"
            )))
            let otherQuote = try await fixture.repQuotes.createQuote(CreateQuoteRequest(quote: Quote(opportunityId: elsewhere.id, name: "Other")))
            let stranger = try await stack.contacts(fixture.tenant.keys[.rep]).createContact(CreateContactRequest(contact: Contact(lastName: "Stranger", email: "s@else.example")))
            let proposals = stack.proposals(fixture.tenant.keys[.rep])
            let error = try #require(await failure {
                try await proposals.createProposal(CreateProposalRequest(proposal: Proposal(
                    opportunityId: fixture.deal.id, title: "Wrong", proposedValue: Money(currencyCode: "USD", amountMinor: 1),
                    recipientContactId: stranger.id, quoteId: otherQuote.id
                )))
            })
            #expect(Set(error.details.fieldViolations.map { "\($0.field) \($0.reason)" }) == [
                "proposal.proposed_value.currency_code INCONSISTENT", "proposal.recipient_contact_id INCONSISTENT", "proposal.quote_id INCONSISTENT",
            ])
            // Another rep's deal does not exist for this rep.
            let managerDeal = try await stack.opportunities(fixture.tenant.keys[.manager]).createOpportunity(CreateOpportunityRequest(opportunity: Opportunity(
                name: "Manager's", accountId: fixture.deal.accountId, amount: QuoteWorkflowTests.yen(1), expectedCloseDate: "2027-01-01"
            )))
            let hidden = try #require(await failure { try await proposals.createProposal(CreateProposalRequest(proposal: Proposal(opportunityId: managerDeal.id, title: "Sneaky"))) })
            #expect(hidden.details.fieldViolations.map(\.reason) == ["NOT_FOUND"])
            #expect(try await stack.proposals(fixture.tenant.keys[.admin]).listProposals(ListProposalsRequest()).proposals.isEmpty)
        }
    }
}
