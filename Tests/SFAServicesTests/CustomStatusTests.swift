import SFAStubs
import Testing

/// Tenant-defined lead statuses mapped onto the built-in meanings.
@Suite struct CustomStatusTests {
    @Test func customStatusesMapOntoBuiltInMeaningsAndFollowTransitions() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Statuses")
            let settings = stack.settings(tenant.keys[.admin])
            let initial = try await settings.getTenantSettings(GetTenantSettingsRequest())
            #expect(initial.version == 0 && initial.leadStatuses.isEmpty)
            let statuses = [
                LeadStatusDefinition(key: "new_inbound", label: "New (inbound)", meaning: .open, isDefault: true),
                LeadStatusDefinition(key: "first_call_done", label: "First call done", meaning: .contacted),
                LeadStatusDefinition(key: "recycled", label: "Recycled to marketing", meaning: .nurture, isDefault: true),
            ]
            let updated = try await settings.updateTenantSettings(
                UpdateTenantSettingsRequest(settings: TenantSettings(version: 0, leadStatuses: statuses), updateMask: ["lead_statuses"])
            )
            #expect(updated.version == 1 && updated.leadStatuses.count == 3)
            // Only admins change settings; members read them.
            #expect(await statusOf {
                try await stack.settings(tenant.keys[.rep]).updateTenantSettings(
                    UpdateTenantSettingsRequest(settings: TenantSettings(version: 1), updateMask: ["stalled_deal_days"])
                )
            } == .permissionDenied)
            #expect(try await stack.settings(tenant.keys[.rep]).getTenantSettings(GetTenantSettingsRequest()).version == 1)

            let marketing = stack.leads(tenant.keys[.marketing])
            var lead = try #require(try await marketing.createLead(CreateLeadRequest(lead: LeadLifecycleTests.sampleLead())).lead)
            #expect(lead.customStatus == "new_inbound" && lead.status == .open)
            lead = try await marketing.updateLead(
                UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, customStatus: "first_call_done"), updateMask: ["custom_status"])
            )
            #expect(lead.status == .contacted && lead.customStatus == "first_call_done")
            // A custom status meaning NURTURE is reached through DisqualifyLead only.
            #expect(await statusOf {
                try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, customStatus: "recycled"), updateMask: ["custom_status"]))
            } == .invalidArgument)
            #expect(await statusOf {
                try await marketing.updateLead(UpdateLeadRequest(lead: Lead(id: lead.id, version: lead.version, customStatus: "nope"), updateMask: ["custom_status"]))
            } == .invalidArgument)
            lead = try await marketing.disqualifyLead(DisqualifyLeadRequest(id: lead.id, version: lead.version, reason: "timing", target: .nurture))
            #expect(lead.status == .nurture && lead.customStatus == "recycled")

            // A status in use cannot be removed, only retired; a stale settings version is refused.
            #expect(await statusOf {
                try await settings.updateTenantSettings(
                    UpdateTenantSettingsRequest(settings: TenantSettings(version: 1, leadStatuses: [statuses[0], statuses[1]]), updateMask: ["lead_statuses"])
                )
            } == .failedPrecondition)
            var retired = statuses[2]
            retired.retired = true
            #expect(try await settings.updateTenantSettings(
                UpdateTenantSettingsRequest(settings: TenantSettings(version: 1, leadStatuses: [statuses[0], statuses[1], retired]), updateMask: ["lead_statuses"])
            ).version == 2)
            #expect(await statusOf {
                try await settings.updateTenantSettings(UpdateTenantSettingsRequest(settings: TenantSettings(version: 1, stalledDealDays: 7), updateMask: ["stalled_deal_days"]))
            } == .aborted)
            #expect(await statusOf {
                try await settings.updateTenantSettings(
                    UpdateTenantSettingsRequest(settings: TenantSettings(version: 2, timeZone: "Mars/Olympus"), updateMask: ["time_zone"])
                )
            } == .invalidArgument)
        }
    }
}
