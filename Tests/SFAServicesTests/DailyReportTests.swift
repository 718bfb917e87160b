import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Daily reports over the real server: a rep's day reported, returned, resubmitted
/// and approved; the refusals that change nothing; visibility; missing reports.
@Suite struct DailyReportTests {
    static let hour = ActivityTests.hour
    static let monday9 = ActivityTests.monday9
    static let date = "2030-04-01"

    /// The rep's manager (User.manager_user_id) approves the rep's reports.
    static func withManager(_ fixture: ActivityTests.Fixture) async throws {
        let admin = fixture.stack.admin(fixture.tenant.keys[.admin])
        _ = try await admin.updateUser(UpdateUserRequest(
            user: User(id: fixture.rep.id, version: fixture.rep.version, managerUserId: fixture.tenant.users[.manager]!.id), updateMask: ["manager_user_id"]
        ))
    }

    static func done(_ kind: ActivityKind, _ subject: String, at time: Int64, dealID: String, result: CallResult = .unspecified) -> Activity {
        Activity(kind: kind, state: .done, subject: subject, doneTimeMs: time, durationMs: hour, opportunityId: dealID, callResult: result)
    }

    @Test func aRepsDayIsReportedReturnedResubmittedAndApprovedWithBothDecisionsInTheThread() async throws {
        try await withStack { stack in
            let fixture = try await ActivityTests.fixture(stack, "Nippo")
            try await Self.withManager(fixture)
            let activities = fixture.activities
            let deal = fixture.deal.id
            let visit1 = try #require(try await activities.createActivity(CreateActivityRequest(activity: Self.done(.visit, "Morning visit", at: Self.monday9, dealID: deal))).activity)
            let visit2 = try #require(try await activities.createActivity(CreateActivityRequest(activity: Self.done(.visit, "Second visit", at: Self.monday9 + 2 * Self.hour, dealID: deal))).activity)
            let call = try #require(try await activities.createActivity(CreateActivityRequest(activity: Self.done(.call, "Follow-up call", at: Self.monday9 + 5 * Self.hour, dealID: deal, result: .connected))).activity)
            let pipeline = try #require(try await stack.pipelines(fixture.tenant.keys[.rep]).listPipelines(ListPipelinesRequest()).pipelines.first)
            let shodan = try await stack.consultations(fixture.tenant.keys[.rep]).createConsultation(CreateConsultationRequest(
                consultation: Consultation(title: "Budget talk", startTimeMs: Self.monday9 + 6 * Self.hour, channel: .visit, opportunityId: deal, summary: "Budget confirmed"),
                nextActivity: Activity(kind: .meeting, subject: "Proposal meeting", startTimeMs: Self.monday9 + 48 * Self.hour, endTimeMs: Self.monday9 + 49 * Self.hour),
                dealUpdate: ConsultationDealUpdate(version: fixture.deal.version, stageId: pipeline.stages[1].id)
            ))
            let consultation = try #require(shodan.consultation)
            #expect(shodan.opportunity?.stageId == pipeline.stages[1].id)
            let evening = try #require(try await activities.createActivity(CreateActivityRequest(activity: ActivityTests.visit(at: Self.monday9 + 8 * Self.hour, subject: "Evening visit"))).activity)

            let reports = stack.dailyReports(fixture.tenant.keys[.rep])
            var report = try await reports.createDailyReport(CreateDailyReportRequest(dailyReport: DailyReport(reportDate: Self.date, summary: "Good day")))
            #expect(report.status == .draft)
            #expect(report.activityIds == [visit1.id, visit2.id, call.id])
            #expect(report.plannedActivityIds == [evening.id])
            #expect(report.consultationIds == [consultation.id])
            #expect(report.activityCounts == [DailyReportKindCount(kind: .call, count: 1), DailyReportKindCount(kind: .visit, count: 2)])
            #expect(report.consultationCount == 1)
            #expect(report.teamId == "t1")

            report = try await reports.submitDailyReport(SubmitDailyReportRequest(id: report.id, version: report.version))
            #expect(report.status == .submitted)
            #expect(report.approverUserId == fixture.tenant.users[.manager]!.id)
            // Submitted: the report and what it covers are locked; the planned visit is not.
            let locked = try #require(await failure {
                try await reports.updateDailyReport(UpdateDailyReportRequest(dailyReport: DailyReport(id: report.id, version: report.version, summary: "Changed"), updateMask: ["summary"]))
            })
            #expect(locked.details.reason == "RECORD_LOCKED")
            let lockedVisit = try #require(await failure {
                try await activities.updateActivity(UpdateActivityRequest(activity: Activity(id: visit1.id, version: visit1.version, notes: "later"), updateMask: ["notes"]))
            })
            #expect(lockedVisit.details.reason == "RECORD_LOCKED")
            #expect(await failure { try await activities.archiveActivity(ArchiveActivityRequest(id: call.id, version: call.version)) }?.details.reason == "RECORD_LOCKED")
            #expect(try await activities.getActivity(GetActivityRequest(id: visit1.id)) == visit1)
            let completed = try await activities.completeActivity(CompleteActivityRequest(id: evening.id, version: evening.version, outcome: "Met the CFO", doneTimeMs: Self.monday9 + 9 * Self.hour))
            #expect(completed.activity?.state == .done)

            let manager = stack.dailyReports(fixture.tenant.keys[.manager])
            #expect(try await manager.listDailyReportInbox(ListDailyReportInboxRequest()).dailyReports.map(\.id) == [report.id])
            report = try await manager.returnDailyReport(ReturnDailyReportRequest(id: report.id, version: report.version, comment: "Add the customer's budget"))
            #expect(report.status == .returned)
            #expect(report.commentCount == 1)
            report = try await reports.updateDailyReport(UpdateDailyReportRequest(
                dailyReport: DailyReport(id: report.id, version: report.version, summary: "Good day; budget 5M yen"), updateMask: ["summary"]
            ))
            report = try await reports.submitDailyReport(SubmitDailyReportRequest(id: report.id, version: report.version))
            // The evening visit, done meanwhile, is now part of the report.
            #expect(report.activityIds == [visit1.id, visit2.id, call.id, evening.id])
            #expect(report.plannedActivityIds.isEmpty)
            report = try await manager.approveDailyReport(ApproveDailyReportRequest(id: report.id, version: report.version, comment: "Thanks"))
            #expect(report.status == .approved)
            #expect(report.reviewerUserId == fixture.tenant.users[.manager]!.id)
            #expect(try await manager.listDailyReportInbox(ListDailyReportInboxRequest()).dailyReports.isEmpty)

            let view = try await reports.getDailyReport(GetDailyReportRequest(id: report.id))
            #expect(view.dailyReport == report)
            #expect(view.activities.map(\.id) == report.activityIds)
            #expect(view.consultations.map(\.id) == [consultation.id])
            #expect(view.comments.map(\.kind) == [.return, .approval])
            #expect(view.comments.map(\.body) == ["Add the customer's budget", "Thanks"])
            #expect(view.comments.allSatisfy { $0.authorUserId == fixture.tenant.users[.manager]!.id })
            #expect(try await reports.listDailyReportComments(ListDailyReportCommentsRequest(dailyReportId: report.id)).comments == view.comments)
            // An admin reopens the approved report; the thread keeps every decision.
            let reopened = try await stack.dailyReports(fixture.tenant.keys[.admin]).reopenDailyReport(ReopenDailyReportRequest(id: report.id, version: report.version, comment: "Wrong date"))
            #expect(reopened.status == .returned)
            #expect(try await reports.listDailyReportComments(ListDailyReportCommentsRequest(dailyReportId: report.id)).comments.map(\.kind) == [.return, .approval, .reopen])
        }
    }

    @Test func refusedReviewsReadsAndEditsChangeNothing() async throws {
        try await withStack { stack in
            let fixture = try await ActivityTests.fixture(stack, "Refused Reports")
            try await Self.withManager(fixture)
            let reports = stack.dailyReports(fixture.tenant.keys[.rep])
            var report = try await reports.createDailyReport(CreateDailyReportRequest(dailyReport: DailyReport(reportDate: Self.date)))
            report = try await reports.submitDailyReport(SubmitDailyReportRequest(id: report.id, version: report.version))
            let admin = stack.dailyReports(fixture.tenant.keys[.admin])
            let unchanged = { try await admin.getDailyReport(GetDailyReportRequest(id: report.id)).dailyReport == report }

            // A rep approves nothing.
            let rep = try #require(await failure { try await reports.approveDailyReport(ApproveDailyReportRequest(id: report.id, version: report.version)) })
            #expect(rep.code == .permissionDenied)
            #expect(rep.details.reason == "METHOD_NOT_ALLOWED")
            // Nobody edits a submitted report.
            let edit = try #require(await failure {
                try await reports.updateDailyReport(UpdateDailyReportRequest(dailyReport: DailyReport(id: report.id, version: report.version, problems: "x"), updateMask: ["problems"]))
            })
            #expect(edit.details.reason == "RECORD_LOCKED")
            // A second report for the day is refused.
            #expect(await statusOf { try await reports.createDailyReport(CreateDailyReportRequest(dailyReport: DailyReport(reportDate: Self.date))) } == .alreadyExists)
            // A manager does not write for a rep.
            let managerReports = stack.dailyReports(fixture.tenant.keys[.manager])
            #expect(await statusOf { try await managerReports.submitDailyReport(SubmitDailyReportRequest(id: report.id, version: report.version)) } == .notFound)
            // A manager of another team reads nothing of it under TEAM visibility, and cannot review it.
            let tenantAdmin = stack.admin(fixture.tenant.keys[.admin])
            let other = try await tenantAdmin.createUser(CreateUserRequest(user: User(displayName: "Other manager", email: "m2@refused.example", role: .manager, teamId: "t2")))
            let otherReports = stack.dailyReports(try await tenantAdmin.issueApiKey(IssueApiKeyRequest(userId: other.id)).secret)
            #expect(await statusOf { try await otherReports.getDailyReport(GetDailyReportRequest(id: report.id)) } == .notFound)
            #expect(try await otherReports.listDailyReports(ListDailyReportsRequest()).dailyReports.isEmpty)
            #expect(await statusOf { try await otherReports.addDailyReportComment(AddDailyReportCommentRequest(dailyReportId: report.id, body: "Hi")) } == .notFound)
            #expect(await statusOf { try await otherReports.approveDailyReport(ApproveDailyReportRequest(id: report.id, version: report.version)) } == .notFound)
            // A manager's own report goes to someone else, and the manager cannot approve it.
            var own = try await managerReports.createDailyReport(CreateDailyReportRequest(dailyReport: DailyReport(reportDate: Self.date)))
            own = try await managerReports.submitDailyReport(SubmitDailyReportRequest(id: own.id, version: own.version))
            #expect(own.approverUserId == fixture.tenant.users[.admin]!.id)
            let self_ = try #require(await failure { try await managerReports.approveDailyReport(ApproveDailyReportRequest(id: own.id, version: own.version)) })
            #expect(self_.code == .permissionDenied)
            #expect(self_.details.reason == "OWN_REPORT")
            #expect(try await admin.getDailyReport(GetDailyReportRequest(id: own.id)).dailyReport == own)
            #expect(try await unchanged())

            // With ALL visibility the other manager reads and comments, still without reviewing.
            let settings = stack.settings(fixture.tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: current.version, dailyReportVisibility: .all), updateMask: ["daily_report_visibility"]
            ))
            #expect(try await otherReports.getDailyReport(GetDailyReportRequest(id: report.id)).dailyReport?.id == report.id)
            _ = try await otherReports.addDailyReportComment(AddDailyReportCommentRequest(dailyReportId: report.id, body: "Nice visit"))
            #expect(await statusOf { try await otherReports.approveDailyReport(ApproveDailyReportRequest(id: report.id, version: report.version)) } == .notFound)
            // A manager of the rep's team who is not its approver does not review it either.
            let coManager = try await tenantAdmin.createUser(CreateUserRequest(user: User(displayName: "Co-manager", email: "m3@refused.example", role: .manager, teamId: "t1")))
            let coReports = stack.dailyReports(try await tenantAdmin.issueApiKey(IssueApiKeyRequest(userId: coManager.id)).secret)
            let notApprover = try #require(await failure { try await coReports.approveDailyReport(ApproveDailyReportRequest(id: report.id, version: report.version)) })
            #expect(notApprover.code == .permissionDenied)
            #expect(notApprover.details.reason == "NOT_APPROVER")
            // A comment does not make the approver's version stale.
            report = try await managerReports.approveDailyReport(ApproveDailyReportRequest(id: report.id, version: report.version))
            #expect(report.commentCount == 2)

            // The owner recalls a submitted report before review; then there is nothing to approve.
            var recalled = try await reports.createDailyReport(CreateDailyReportRequest(dailyReport: DailyReport(reportDate: "2030-04-02")))
            recalled = try await reports.submitDailyReport(SubmitDailyReportRequest(id: recalled.id, version: recalled.version))
            recalled = try await reports.recallDailyReport(RecallDailyReportRequest(id: recalled.id, version: recalled.version))
            #expect(recalled.status == .draft)
            #expect(await failure { try await managerReports.approveDailyReport(ApproveDailyReportRequest(id: recalled.id, version: recalled.version)) }?.details.reason == "INVALID_STATE_TRANSITION")
        }
    }

    @Test func missingReportsOverAMonthSkipWeekendsAndHolidays() async throws {
        try await withStack { stack in
            let fixture = try await ActivityTests.fixture(stack, "Missing")
            let settings = stack.settings(fixture.tenant.keys[.admin])
            let current = try await settings.getTenantSettings(GetTenantSettingsRequest())
            _ = try await settings.updateTenantSettings(UpdateTenantSettingsRequest(
                settings: TenantSettings(version: current.version, timeZone: "Asia/Tokyo", holidays: ["2030-04-29"]), updateMask: ["time_zone", "holidays"]
            ))
            let reports = stack.dailyReports(fixture.tenant.keys[.rep])
            for date in ["2030-04-01", "2030-04-02"] {
                let report = try await reports.createDailyReport(CreateDailyReportRequest(dailyReport: DailyReport(reportDate: date)))
                _ = try await reports.submitDailyReport(SubmitDailyReportRequest(id: report.id, version: report.version))
            }
            // A draft never submitted is still missing.
            _ = try await reports.createDailyReport(CreateDailyReportRequest(dailyReport: DailyReport(reportDate: "2030-04-03")))

            let manager = stack.dailyReports(fixture.tenant.keys[.manager])
            let april = DateRange(startDate: "2030-04-01", endDate: "2030-04-30")
            let answer = try await manager.listMissingDailyReports(ListMissingDailyReportsRequest(reportDateRange: april))
            // 22 weekdays in April 2030, less Shōwa Day.
            #expect(answer.workingDates.count == 21)
            #expect(!answer.workingDates.contains("2030-04-06"))
            #expect(!answer.workingDates.contains("2030-04-29"))
            #expect(answer.workingDates.last == "2030-04-30")
            let rep = fixture.rep.id
            let insideSales = fixture.tenant.users[.insideSales]!.id
            #expect(answer.missing.filter { $0.userId == rep }.count == 19)
            #expect(answer.missing.filter { $0.userId == insideSales }.count == 21)
            #expect(answer.missing.count == 40)
            #expect(answer.missing.contains(MissingDailyReport(userId: rep, reportDate: "2030-04-03")))
            #expect(!answer.missing.contains(MissingDailyReport(userId: rep, reportDate: "2030-04-02")))
            // A manager asks about its own team only.
            let elsewhere = try #require(await failure { try await manager.listMissingDailyReports(ListMissingDailyReportsRequest(teamId: "t2", reportDateRange: april)) })
            #expect(elsewhere.details.fieldViolations.map { "\($0.field) \($0.reason)" } == ["team_id NOT_ALLOWED"])
        }
    }
}
