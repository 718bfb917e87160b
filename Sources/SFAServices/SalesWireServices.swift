public import Logging
public import SFAStorage
public import SFAStubs

/// Every service the server hosts, built on one control plane and one set of tenant
/// databases (and, on a node of a cluster, its router); `sfad` and the tests both
/// use this list.
public enum SalesWireServices {
    public static func all(
        controlPlane: ControlPlane,
        tenants: TenantDatabases,
        storage: StorageConfiguration,
        logger: Logger,
        router: TenantRouter? = nil,
        serverSnapshot: @escaping @Sendable () -> ServerSnapshot
    ) -> [any RPCService] {
        [
            AdminService(controlPlane: controlPlane, tenants: tenants, storage: storage, logger: logger, router: router, serverSnapshot: serverSnapshot),
            LeadService(controlPlane: controlPlane, tenants: tenants),
            AccountService(controlPlane: controlPlane, tenants: tenants),
            ContactService(controlPlane: controlPlane, tenants: tenants),
            SettingsService(controlPlane: controlPlane, tenants: tenants),
            PipelineService(controlPlane: controlPlane, tenants: tenants),
            OpportunityService(controlPlane: controlPlane, tenants: tenants),
            QuoteService(controlPlane: controlPlane, tenants: tenants),
            ProposalService(controlPlane: controlPlane, tenants: tenants),
            ActivityService(controlPlane: controlPlane, tenants: tenants),
            ConsultationService(controlPlane: controlPlane, tenants: tenants),
            DailyReportService(controlPlane: controlPlane, tenants: tenants),
            AnalyticsService(controlPlane: controlPlane, tenants: tenants),
            AuditService(controlPlane: controlPlane, tenants: tenants),
            ChangeService(controlPlane: controlPlane, tenants: tenants),
        ]
    }
}
