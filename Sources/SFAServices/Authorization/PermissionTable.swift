// The role-based permission table (SPEC §4): which roles may call each RPC method,
// and how far each grant reaches within the caller's tenant.
//
// `public import`: the package enables `InternalImportsByDefault`, and `Role` (from
// SFAMessages, re-exported by SFAStubs) appears in this file's public API.
public import SFAStubs

/// Which roles may call each RPC method, and with which record scope.
/// Deny by default: a method missing from `grants`, or a role missing from a method's
/// entry, is refused with PERMISSION_DENIED.
///
/// Reading the table:
/// - On a read or list the scope bounds what is returned (records outside it are
///   NOT_FOUND / left out); on a create it bounds the owner the caller may set (the
///   owner defaults to the caller); on an update or state transition it bounds the
///   records the caller may change. `.team` includes records with no owner (leads
///   waiting for routing), so managers can route them.
/// - For records without an owner (pipelines, settings, teams, tenants, backups) only
///   `.all` is meaningful. For users, `.own` is the caller's own user record and
///   `.team` the users of the caller's team.
/// - `operator` keys have no tenant: they get the control-plane methods of
///   AdminService (scope `.all` = the tenant named in the request) plus Health and
///   Reflection, and no business service at all ("no reading of tenant business data").
/// - `.unspecified` and `.unrecognized` never appear: a key with such a role can call
///   nothing.
public enum PermissionTable {
    /// Full method name (`/sfa.v1.LeadService/GetLead`) → role → scope.
    public static let grants: [String: [Role: RecordScope]] = {
        var g: [String: [Role: RecordScope]] = [:]

        /// Built-in, tenant-independent services: every known role, including
        /// `operator` and `partner` (load balancers, monitoring and `sfactl call`
        /// need them with any key).
        let everyone: [Role: RecordScope] = [
            .admin: .all, .manager: .all, .rep: .all, .marketing: .all, .insideSales: .all,
            .partner: .all, .viewer: .all, .`operator`: .all,
        ]
        /// Tenant configuration every member of the tenant reads (pipelines, settings,
        /// teams): all tenant roles except `partner`, which reads only its own leads and
        /// opportunities (SPEC §4).
        let tenantMembersRead: [Role: RecordScope] = [
            .admin: .all, .manager: .all, .rep: .all, .marketing: .all, .insideSales: .all,
            .viewer: .all,
        ]
        /// Tenant configuration only the tenant admin changes (SPEC §4: "admin (users,
        /// keys, pipelines, settings, audit)").
        let tenantAdminOnly: [Role: RecordScope] = [.admin: .all]
        /// Control-plane methods that only the operator may call (admin.proto:
        /// "Tenant lifecycle, migrations, backups, restores and server stats are
        /// operator-only").
        let operatorOnly: [Role: RecordScope] = [.`operator`: .all]

        // MARK: AccountService
        // Accounts and contacts are shared master data of the tenant: every internal
        // role reads all of them. Marketing reads them too (duplicate checks, campaign
        // targeting) but never writes. Writes follow ownership (the "public read only"
        // model of commercial CRMs): reps and inside sales create accounts (owned by
        // themselves) and edit the ones they own; managers edit their team's; admins
        // all. Archiving shared master data other people's deals point at is kept to
        // managers (team) and admins.
        g[AccountServiceMethods.createAccount.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[AccountServiceMethods.getAccount.fullName] = [
            .admin: .all, .manager: .all, .rep: .all, .marketing: .all, .insideSales: .all, .viewer: .all,
        ]
        g[AccountServiceMethods.updateAccount.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[AccountServiceMethods.listAccounts.fullName] = [
            .admin: .all, .manager: .all, .rep: .all, .marketing: .all, .insideSales: .all, .viewer: .all,
        ]
        g[AccountServiceMethods.archiveAccount.fullName] = [.admin: .all, .manager: .team]
        g[AccountServiceMethods.listAccountContacts.fullName] = [
            .admin: .all, .manager: .all, .rep: .all, .marketing: .all, .insideSales: .all, .viewer: .all,
        ]

        // MARK: ActivityService
        // Reps and inside sales log and work their own activities; managers their team's.
        // Marketing does not log sales activities (SPEC §4 gives it leads and the funnel).
        g[ActivityServiceMethods.createActivity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ActivityServiceMethods.getActivity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        g[ActivityServiceMethods.updateActivity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ActivityServiceMethods.listActivities.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        g[ActivityServiceMethods.completeActivity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ActivityServiceMethods.cancelActivity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ActivityServiceMethods.rescheduleActivity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        // Archiving removes a mistaken entry from the activity figures; reps clean up
        // their own log (a submitted daily report locks what it covers).
        g[ActivityServiceMethods.archiveActivity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]

        // MARK: AdminService
        // Tenant lifecycle, migrations, backups/restore and server stats: operator only.
        g[AdminServiceMethods.createTenant.fullName] = operatorOnly
        // Tenant admins do not read the tenant record either: it is lifecycle data
        // (status, schema version) owned by the operator.
        g[AdminServiceMethods.getTenant.fullName] = operatorOnly
        g[AdminServiceMethods.listTenants.fullName] = operatorOnly
        g[AdminServiceMethods.suspendTenant.fullName] = operatorOnly
        g[AdminServiceMethods.resumeTenant.fullName] = operatorOnly
        g[AdminServiceMethods.deleteTenant.fullName] = operatorOnly
        // Users: the tenant admin manages its own tenant's users. The operator may
        // create users (and read them) to bootstrap a new tenant's first admin, and
        // deactivate one in an incident (a leaked admin account); day-to-day changes
        // (update) are the tenant admin's.
        g[AdminServiceMethods.createUser.fullName] = [.admin: .all, .`operator`: .all]
        // Reading users: managers see their team (to assign leads, approve reports,
        // filter analytics by owner); other tenant roles read only their own user
        // record (a "who am I" for clients). Viewers are kept out of AdminService
        // entirely ("no admin"), partner keys too (SPEC §4: leads and opportunities only).
        g[AdminServiceMethods.getUser.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .own, .insideSales: .own,
            .`operator`: .all,
        ]
        // ListUsers with `.own` returns only the caller: the way a client holding only
        // a key finds its own user id.
        g[AdminServiceMethods.listUsers.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .own, .insideSales: .own,
            .`operator`: .all,
        ]
        g[AdminServiceMethods.updateUser.fullName] = tenantAdminOnly
        g[AdminServiceMethods.deactivateUser.fullName] = [.admin: .all, .`operator`: .all]
        // Keys: tenant admin for its tenant; operator to bootstrap a tenant and to
        // revoke a leaked key in an incident. Users do not issue or list their own keys.
        g[AdminServiceMethods.issueApiKey.fullName] = [.admin: .all, .`operator`: .all]
        g[AdminServiceMethods.listApiKeys.fullName] = [.admin: .all, .`operator`: .all]
        g[AdminServiceMethods.revokeApiKey.fullName] = [.admin: .all, .`operator`: .all]
        g[AdminServiceMethods.migrateTenants.fullName] = operatorOnly
        g[AdminServiceMethods.backupTenant.fullName] = operatorOnly
        g[AdminServiceMethods.listTenantBackups.fullName] = operatorOnly
        g[AdminServiceMethods.deleteTenantBackup.fullName] = operatorOnly
        g[AdminServiceMethods.restoreTenant.fullName] = operatorOnly
        // Data portability: a tenant admin exports its own tenant (as Salesforce's data
        // export is an admin feature); the file stays on the server, as backups do.
        g[AdminServiceMethods.exportTenant.fullName] = [.admin: .all, .`operator`: .all]
        g[AdminServiceMethods.getServerStats.fullName] = operatorOnly
        // Record counts and database size of one tenant: the operator for any tenant,
        // a tenant admin for its own (the handler ignores/refuses another tenant_id).
        g[AdminServiceMethods.getTenantStats.fullName] = [.admin: .all, .`operator`: .all]
        // Limits protect the server from tenants: only operators change them; a tenant's
        // admin may see its own.
        g[AdminServiceMethods.getTenantLimits.fullName] = [.admin: .all, .`operator`: .all]
        g[AdminServiceMethods.setTenantLimits.fullName] = operatorOnly
        // Placing tenants on nodes is the provider's business, never a tenant's.
        g[AdminServiceMethods.moveTenant.fullName] = operatorOnly

        // MARK: AnalyticsService
        // Every figure is computed over the records the scope allows (SPEC §4:
        // record-level rules apply to analytics queries; every table a query reads
        // carries the scope, so a group-by never widens it). Managers: their team;
        // reps: their own records; viewers: the whole tenant. Marketing reads only the
        // funnel (SPEC §4), over all leads. Inside sales reads the funnel over all
        // leads (it works the MQL → SQL step for the whole tenant) and the other
        // figures over its own records. Partners read the figures of what they
        // already list — the leads they brought and the deals that came from them —
        // but not the stage history (GetOpportunityHistory is not theirs).
        g[AnalyticsServiceMethods.getPipelineSummary.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .partner: .own, .viewer: .all,
        ]
        g[AnalyticsServiceMethods.getFunnel.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .all, .insideSales: .all, .partner: .own, .viewer: .all,
        ]
        g[AnalyticsServiceMethods.getStageConversion.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        g[AnalyticsServiceMethods.getSalesMetrics.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .partner: .own, .viewer: .all,
        ]
        // Forecasts and targets are the company's plan (予実管理): not for partners.
        g[AnalyticsServiceMethods.getForecast.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        // Activity figures are about the reps' own work: the same reach as the activity lists.
        g[AnalyticsServiceMethods.getActivityKpis.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        // Targets are given, not chosen: managers set their team's and its members',
        // admins anyone's and the tenant's. Reps read their own.
        g[AnalyticsServiceMethods.setSalesTarget.fullName] = [.admin: .all, .manager: .team]
        g[AnalyticsServiceMethods.listSalesTargets.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        // Stalled deals and lost reasons are deal figures: the pipeline summary's reach
        // (a partner's: the deals from its leads).
        g[AnalyticsServiceMethods.getStalledDeals.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .partner: .own, .viewer: .all,
        ]
        g[AnalyticsServiceMethods.getLostReasons.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .partner: .own, .viewer: .all,
        ]
        // Daily reports and quotes are the sales team's own work: the activity KPIs' reach.
        g[AnalyticsServiceMethods.getDailyReportCompliance.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        g[AnalyticsServiceMethods.getQuoteKpis.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        // Speed to lead is the funnel's first step: marketing and inside sales read it
        // over all leads; partners do not read the activities that answer their leads.
        g[AnalyticsServiceMethods.getSpeedToLead.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .all, .insideSales: .all, .viewer: .all,
        ]

        // MARK: AuditService
        // SPEC §2: "readable by tenant admins" — not managers, not viewers, not the operator.
        g[AuditServiceMethods.listAuditEvents.fullName] = tenantAdminOnly

        // MARK: ChangeService
        // The change feed admits every tenant role that lists records; what each change
        // shows is decided per record kind by the caller's scope on that kind's list
        // (ChangeFeedKind), so the feed never shows what the lists would not.
        g[ChangeServiceMethods.listChanges.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .all, .insideSales: .all, .partner: .own,
            .viewer: .all,
        ]

        // MARK: ConsultationService
        // Reps record their own sales meetings, managers their team's. Inside sales
        // holds phone/online consultations (상담/商談) while qualifying, so it records
        // its own too (SPEC silent).
        g[ConsultationServiceMethods.createConsultation.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ConsultationServiceMethods.getConsultation.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        g[ConsultationServiceMethods.updateConsultation.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ConsultationServiceMethods.listConsultations.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]
        g[ConsultationServiceMethods.archiveConsultation.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]

        // MARK: ContactService
        // Same model as accounts: everyone internal reads all contacts; writes follow
        // ownership; archiving is for managers (team) and admins.
        g[ContactServiceMethods.createContact.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ContactServiceMethods.getContact.fullName] = [
            .admin: .all, .manager: .all, .rep: .all, .marketing: .all, .insideSales: .all, .viewer: .all,
        ]
        g[ContactServiceMethods.updateContact.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ContactServiceMethods.listContacts.fullName] = [
            .admin: .all, .manager: .all, .rep: .all, .marketing: .all, .insideSales: .all, .viewer: .all,
        ]
        // Moving a contact between accounts is an edit of the contact.
        g[ContactServiceMethods.moveContact.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[ContactServiceMethods.archiveContact.fullName] = [.admin: .all, .manager: .team]

        // MARK: DailyReportService
        // A daily report (日報/일일 보고서) is its writer's own account of the day: every
        // role that sells writes, submits and recalls only its own (.own), admins and
        // managers included — managers approve, return and comment on their team's
        // reports but never write or submit one for a rep (issue 12). Reading and
        // commenting reach as far as the tenant's `daily_report_visibility` (own / team
        // / all) allows: these grants are the ceiling, the handler narrows them to the
        // setting, and managers always keep their team, the designated approver the
        // reports it reviews. Approve and return: managers (team) and admins; the handler
        // further requires the designated approver or an admin, never the owner. Reps
        // and inside sales never approve or return, not even their own. Viewers read
        // (within the same visibility) and change nothing.
        let reportWriters: [Role: RecordScope] = [.admin: .own, .manager: .own, .rep: .own, .insideSales: .own]
        let reportReaders: [Role: RecordScope] = [.admin: .all, .manager: .all, .rep: .all, .insideSales: .all, .viewer: .all]
        g[DailyReportServiceMethods.createDailyReport.fullName] = reportWriters
        g[DailyReportServiceMethods.getDailyReport.fullName] = reportReaders
        g[DailyReportServiceMethods.updateDailyReport.fullName] = reportWriters
        g[DailyReportServiceMethods.listDailyReports.fullName] = reportReaders
        g[DailyReportServiceMethods.submitDailyReport.fullName] = reportWriters
        g[DailyReportServiceMethods.recallDailyReport.fullName] = reportWriters
        g[DailyReportServiceMethods.approveDailyReport.fullName] = [.admin: .all, .manager: .team]
        g[DailyReportServiceMethods.returnDailyReport.fullName] = [.admin: .all, .manager: .team]
        // Reopening an approved report undoes a manager's decision: the tenant admin's.
        g[DailyReportServiceMethods.reopenDailyReport.fullName] = tenantAdminOnly
        g[DailyReportServiceMethods.addDailyReportComment.fullName] = [
            .admin: .all, .manager: .all, .rep: .all, .insideSales: .all,
        ]
        g[DailyReportServiceMethods.listDailyReportComments.fullName] = reportReaders
        // The inbox lists what waits for the caller's own decision.
        g[DailyReportServiceMethods.listDailyReportInbox.fullName] = [.admin: .all, .manager: .team]
        // Missing reports are a manager's follow-up of its team; admins see any team.
        g[DailyReportServiceMethods.listMissingDailyReports.fullName] = [.admin: .all, .manager: .team]

        // MARK: HealthService
        g[HealthServiceMethods.check.fullName] = everyone

        // MARK: LeadService
        // Marketing and inside sales work the whole tenant's lead pool (.all); reps their
        // own leads, managers their team's. Partner keys push leads and read back only
        // the leads they created (.own = partner_source_id / created by the key's user).
        g[LeadServiceMethods.createLead.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .all, .insideSales: .all, .partner: .own,
        ]
        g[LeadServiceMethods.getLead.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .all, .insideSales: .all, .partner: .own,
            .viewer: .all,
        ]
        // Partners cannot edit leads after pushing them (SPEC §4 grants create + read
        // back only); a re-push is a new CreateLead, caught by duplicate detection.
        g[LeadServiceMethods.updateLead.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .all, .insideSales: .all,
        ]
        g[LeadServiceMethods.listLeads.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .all, .insideSales: .all, .partner: .own,
            .viewer: .all,
        ]
        // MQL is marketing's acceptance of a lead (SPEC §2): not reps, not inside sales.
        g[LeadServiceMethods.markLeadMql.fullName] = [.admin: .all, .manager: .team, .marketing: .all]
        // MQL → SQL is inside sales' step (SPEC §4); marketing stays out. Reps
        // qualify and convert the leads they own ("creates and works their own leads";
        // self-sourced leads have no inside-sales step), as lead owners can in
        // commercial CRMs.
        g[LeadServiceMethods.qualifyLead.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .all,
        ]
        // Disqualifying moves a lead to nurture or archive: marketing owns nurture, so it
        // may disqualify too (SPEC silent).
        g[LeadServiceMethods.disqualifyLead.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .marketing: .all, .insideSales: .all,
        ]
        // Lead routing is done by marketing ops, inside sales (handing an SQL to a rep)
        // and managers within their team. Reps do not give their leads away (SPEC silent).
        g[LeadServiceMethods.assignLead.fullName] = [
            .admin: .all, .manager: .team, .marketing: .all, .insideSales: .all,
        ]
        // Conversion also creates the account, contact and opportunity under this grant,
        // not the Create* grants; merging into an existing account or contact links it
        // under this grant, but filling its empty fields is a change of it and needs the
        // caller's UpdateAccount / UpdateContact scope (MERGE_NOT_ALLOWED otherwise).
        g[LeadServiceMethods.convertLead.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .all,
        ]
        // Bulk import is a marketing task (lists from events, webinars) and a partner
        // one (SPEC §1: partner systems push leads); reps and inside sales create leads
        // one at a time.
        g[LeadServiceMethods.importLeads.fullName] = [
            .admin: .all, .manager: .team, .marketing: .all, .partner: .own,
        ]

        // MARK: OpportunityService
        // Reps work their own opportunities end to end; managers their team's. Inside
        // sales creates opportunities (on or after conversion) and reads/edits those it
        // still owns, but moving stages and closing is the account executive's job.
        // Partners read back the opportunities that came from their leads (.own: the
        // deal's partner_source_id). Marketing has no direct access (it sees
        // conversions through GetFunnel). Archiving removes a deal from the figures, so
        // it is kept to managers and admins: a rep cannot make a lost deal disappear.
        g[OpportunityServiceMethods.createOpportunity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[OpportunityServiceMethods.getOpportunity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .partner: .own, .viewer: .all,
        ]
        g[OpportunityServiceMethods.updateOpportunity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own,
        ]
        g[OpportunityServiceMethods.listOpportunities.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .partner: .own, .viewer: .all,
        ]
        g[OpportunityServiceMethods.moveOpportunityStage.fullName] = [
            .admin: .all, .manager: .team, .rep: .own,
        ]
        g[OpportunityServiceMethods.closeOpportunity.fullName] = [
            .admin: .all, .manager: .team, .rep: .own,
        ]
        // Reopening a lost deal puts it back into the figures it left; like archiving
        // it is kept to managers and admins, so that a rep cannot rewrite a loss.
        g[OpportunityServiceMethods.reopenOpportunity.fullName] = [.admin: .all, .manager: .team]
        // Deals are reassigned by managers within their team (territory changes, a rep
        // leaving); reps do not give their deals away, as with leads.
        g[OpportunityServiceMethods.assignOpportunity.fullName] = [.admin: .all, .manager: .team]
        g[OpportunityServiceMethods.archiveOpportunity.fullName] = [.admin: .all, .manager: .team]
        g[OpportunityServiceMethods.getOpportunityHistory.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .insideSales: .own, .viewer: .all,
        ]

        // MARK: PipelineService
        // Every tenant member reads the pipelines (needed to create and move
        // opportunities), and so do partners: they must interpret the stage ids of the
        // deals they read. Only the tenant admin changes them (SPEC §4).
        g[PipelineServiceMethods.listPipelines.fullName] = tenantMembersRead.merging([.partner: .all]) { $1 }
        g[PipelineServiceMethods.getPipeline.fullName] = tenantMembersRead.merging([.partner: .all]) { $1 }
        g[PipelineServiceMethods.createPipeline.fullName] = tenantAdminOnly
        g[PipelineServiceMethods.updatePipeline.fullName] = tenantAdminOnly
        g[PipelineServiceMethods.archivePipeline.fullName] = tenantAdminOnly

        // MARK: ProposalService
        // Reps own their proposals end to end (the customer's answer is recorded by the
        // seller); managers their team's.
        g[ProposalServiceMethods.createProposal.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[ProposalServiceMethods.getProposal.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .viewer: .all,
        ]
        g[ProposalServiceMethods.updateProposal.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[ProposalServiceMethods.listProposals.fullName] = [
            .admin: .all, .manager: .team, .rep: .own, .viewer: .all,
        ]
        g[ProposalServiceMethods.submitProposal.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[ProposalServiceMethods.markProposalUnderReview.fullName] = [
            .admin: .all, .manager: .team, .rep: .own,
        ]
        g[ProposalServiceMethods.acceptProposal.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[ProposalServiceMethods.rejectProposal.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[ProposalServiceMethods.withdrawProposal.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[ProposalServiceMethods.reviseProposal.fullName] = [.admin: .all, .manager: .team, .rep: .own]

        // MARK: QuoteService
        // Reps create and work their own quotes, including presenting and recording the
        // customer's answer. Approval of a quote over the discount threshold is the
        // manager's (team) or the tenant admin's: reps never approve or reject, not even
        // their own. (Refusing a manager's approval of a quote they own is a record
        // rule of the handler, not of this table.)
        g[QuoteServiceMethods.createQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[QuoteServiceMethods.getQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own, .viewer: .all]
        g[QuoteServiceMethods.updateQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[QuoteServiceMethods.listQuotes.fullName] = [.admin: .all, .manager: .team, .rep: .own, .viewer: .all]
        g[QuoteServiceMethods.submitQuoteForApproval.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        // Recalling is the owner's own act: the handler refuses anyone else (NOT_OWNER),
        // managers and admins included; the grant only lets them reach the method.
        g[QuoteServiceMethods.recallQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[QuoteServiceMethods.approveQuote.fullName] = [.admin: .all, .manager: .team]
        g[QuoteServiceMethods.rejectQuote.fullName] = [.admin: .all, .manager: .team]
        g[QuoteServiceMethods.presentQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[QuoteServiceMethods.acceptQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[QuoteServiceMethods.declineQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[QuoteServiceMethods.reviseQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[QuoteServiceMethods.setPrimaryQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]
        g[QuoteServiceMethods.clearPrimaryQuote.fullName] = [.admin: .all, .manager: .team, .rep: .own]

        // MARK: ReflectionService
        // Describes the API only, never tenant data.
        g[ReflectionServiceMethods.listServices.fullName] = everyone
        g[ReflectionServiceMethods.describeMessage.fullName] = everyone
        g[ReflectionServiceMethods.describeEnum.fullName] = everyone
        g[ReflectionServiceMethods.listAllowedMethods.fullName] = everyone

        // MARK: SettingsService
        // Settings (time zone, currency, lead statuses, discount threshold, …) and teams
        // are read by every tenant member, viewers included; only the tenant admin
        // changes them. Managers do not create or re-staff teams (SPEC silent).
        g[SettingsServiceMethods.getTenantSettings.fullName] = tenantMembersRead
        g[SettingsServiceMethods.updateTenantSettings.fullName] = tenantAdminOnly
        g[SettingsServiceMethods.listTeams.fullName] = tenantMembersRead
        g[SettingsServiceMethods.createTeam.fullName] = tenantAdminOnly
        g[SettingsServiceMethods.updateTeam.fullName] = tenantAdminOnly

        return g
    }()

    /// The scope `role` has on `method`, or nil when the role may not call it.
    public static func scope(of role: Role, for method: String) -> RecordScope? { grants[method]?[role] }

    /// The scope a key narrowed to `narrower` (a viewer key) has on `method` when its
    /// user has `role`: the narrower of the two roles' scopes, or nil when either role
    /// may not call the method. So a narrowed key calls only what both roles may call
    /// (for a viewer key: read methods), and never sees more than its user would: a
    /// rep's viewer key reads the rep's own leads, not the whole tenant's, and a
    /// partner's reads only what the partner created (the caller's role stays the
    /// user's, which decides what `.own` means).
    public static func scope(of role: Role, narrowedTo narrower: Role, for method: String) -> RecordScope? {
        guard let entry = grants[method], let own = entry[role], let narrowed = entry[narrower] else { return nil }
        return min(own, narrowed)
    }

    /// Whether a key an operator issued for a tenant (a bootstrap key) may call
    /// `method`: user and key management (AdminService), Health and Reflection — never
    /// business data (SPEC §4), so not the tenant's export either.
    public static func bootstrapKeyMayCall(_ method: String) -> Bool {
        guard method != AdminServiceMethods.exportTenant.fullName else { return false }
        return ["/sfa.v1.AdminService/", "/sfa.v1.HealthService/", "/sfa.v1.ReflectionService/"].contains { method.hasPrefix($0) }
    }
}
