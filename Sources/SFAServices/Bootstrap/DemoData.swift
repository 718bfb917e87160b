import SFAStorage
import SFAStubs

/// Realistic sample records for the demo tenant, made through the services
/// themselves (validation, audit log and all), as the demo users would make them.
struct DemoData {
    let controlPlane: ControlPlane
    let tenants: TenantDatabases
    let tenantID: String
    let users: [Role: String]

    private func context(_ method: MethodDescriptor, as role: Role) -> ServerContext {
        ServerContext(
            method: method,
            callID: 0,
            principal: Principal(tenantID: tenantID, userID: users[role]!, role: role, teamID: "team-sales", keyID: "", scope: .all)
        )
    }

    func create() async throws {
        let leads = LeadService(controlPlane: controlPlane, tenants: tenants)
        let accounts = AccountService(controlPlane: controlPlane, tenants: tenants)
        let contacts = ContactService(controlPlane: controlPlane, tenants: tenants)

        var accountIDs: [String] = []
        for (name, industry, city) in [
            ("Hanbit Logistics", "Logistics", "Busan"), ("Kitsune Foods K.K.", "Food & beverage", "Osaka"),
            ("Northwind Traders", "Wholesale", "Seattle"),
        ] {
            let account = try await accounts.createAccount(
                CreateAccountRequest(
                    account: Account(
                        name: name,
                        kind: .customer,
                        industry: industry,
                        billingAddress: PostalAddress(city: city),
                        ownerUserId: users[.rep]!
                    )
                ),
                context: context(AccountServiceMethods.createAccount, as: .manager)
            )
            accountIDs.append(account.id)
            _ = try await contacts.createContact(
                CreateContactRequest(
                    contact: Contact(
                        accountId: account.id,
                        firstName: "Purchasing",
                        lastName: "Lead",
                        email: "purchasing@\(name.lowercased().filter(\.isLetter)).example",
                        jobTitle: "Head of Purchasing",
                        ownerUserId: users[.rep]!
                    )
                ),
                context: context(ContactServiceMethods.createContact, as: .manager)
            )
        }

        try await createDeals(on: accountIDs)

        let people: [(String, String, String, LeadSource)] = [
            ("Haruka", "Tanaka", "Tanaka Precision K.K.", .webinar), ("Ji-woo", "Kim", "Seoul Smart Factory", .landingPageForm),
            ("Emma", "Schulz", "Schulz Maschinenbau GmbH", .tradeShow), ("Liam", "Walsh", "Walsh & Sons Ltd", .referral),
            ("Yuki", "Sato", "Sato Retail", .adClick), ("Min-seo", "Park", "Park Medical", .leadMagnetDownload),
            ("Noah", "Martin", "Martin Construction", .website), ("Aiko", "Suzuki", "Suzuki Textiles", .social),
        ]
        var created: [Lead] = []
        for (first, last, company, source) in people {
            let response = try await leads.createLead(
                CreateLeadRequest(
                    lead: Lead(
                        firstName: first,
                        lastName: last,
                        email: "\(first.lowercased().filter(\.isLetter)).\(last.lowercased())@\(company.lowercased().filter(\.isLetter)).example",
                        companyName: company,
                        jobTitle: "Operations Manager",
                        source: source,
                        ownerUserId: users[.insideSales]!
                    )
                ),
                context: context(LeadServiceMethods.createLead, as: .marketing)
            )
            if let lead = response.lead { created.append(lead) }
        }
        // Move some along the funnel: three MQLs, two of them qualified, one converted,
        // one sent to nurture.
        for index in 0..<3 {
            created[index] = try await leads.markLeadMql(
                MarkLeadMqlRequest(id: created[index].id, version: created[index].version),
                context: context(LeadServiceMethods.markLeadMql, as: .marketing)
            )
        }
        for index in 0..<2 {
            created[index] = try await leads.qualifyLead(
                QualifyLeadRequest(
                    id: created[index].id,
                    version: created[index].version,
                    needIdentified: true,
                    authorityConfirmed: true,
                    budgetConfirmed: index == 0,
                    notes: "Budget approved for next quarter"
                ),
                context: context(LeadServiceMethods.qualifyLead, as: .insideSales)
            )
        }
        _ = try await leads.convertLead(
            ConvertLeadRequest(
                id: created[0].id,
                version: created[0].version,
                opportunity: ConvertLeadOpportunity(
                    name: "Line 3 retrofit",
                    amount: Money(currencyCode: "JPY", amountMinor: 4_800_000),
                    expectedCloseDate: "2027-03-31"
                ),
                ownerUserId: users[.rep]!
            ),
            context: context(LeadServiceMethods.convertLead, as: .insideSales)
        )
        _ = try await leads.disqualifyLead(
            DisqualifyLeadRequest(id: created[7].id, version: created[7].version, reason: "No budget this year", target: .nurture),
            context: context(LeadServiceMethods.disqualifyLead, as: .marketing)
        )
    }

    /// Deals of the rep spread over the default pipeline: some moved along, one won,
    /// one lost, so that lists and the pipeline have something to show.
    private func createDeals(on accountIDs: [String]) async throws {
        let deals = OpportunityService(controlPlane: controlPlane, tenants: tenants)
        let pipeline = try await PipelineService(controlPlane: controlPlane, tenants: tenants)
            .listPipelines(ListPipelinesRequest(), context: context(PipelineServiceMethods.listPipelines, as: .rep)).pipelines[0]
        let plans: [(String, Int64, String, Int)] = [
            ("Fleet telematics", 12_500_000, "2027-01-29", 1), ("Cold chain sensors", 3_200_000, "2027-02-26", 3),
            ("Seasonal menu rollout", 980_000, "2026-12-25", 4), ("Warehouse scanners", 7_400_000, "2027-03-31", 2),
            ("Annual maintenance", 2_100_000, "2026-12-18", 5), ("Pilot in Seattle", 650_000, "2026-12-11", 6),
        ]
        for (index, (name, amount, closeDate, stage)) in plans.enumerated() {
            var deal = try await deals.createOpportunity(
                CreateOpportunityRequest(opportunity: Opportunity(
                    name: name, accountId: accountIDs[index % accountIDs.count], amount: Money(currencyCode: "JPY", amountMinor: amount),
                    expectedCloseDate: closeDate, ownerUserId: users[.rep]!
                )),
                context: context(OpportunityServiceMethods.createOpportunity, as: .manager)
            )
            for next in pipeline.stages[1..<min(stage, 5)] {
                deal = try await deals.moveOpportunityStage(
                    MoveOpportunityStageRequest(id: deal.id, version: deal.version, stageId: next.id),
                    context: context(OpportunityServiceMethods.moveOpportunityStage, as: .rep)
                )
            }
            if stage >= 5 {
                _ = try await deals.closeOpportunity(
                    CloseOpportunityRequest(id: deal.id, version: deal.version, outcome: stage == 5 ? .won : .lost, closeNote: "Demo"),
                    context: context(OpportunityServiceMethods.closeOpportunity, as: .rep)
                )
            }
        }
    }
}
