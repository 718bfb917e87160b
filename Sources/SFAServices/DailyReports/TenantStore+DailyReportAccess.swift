import SFAStorage
import SFAStubs

extension TenantStore {
    /// The access of daily-report reads, comments and figures (compliance): the grant
    /// narrowed to the tenant's `daily_report_visibility` (TEAM when unset); managers
    /// keep their team whatever the setting (they review it), admins the whole tenant.
    /// One function, so no read of reports reaches further than the others.
    func dailyReportReadAccess(_ context: ServerContext) async throws -> RecordAccess {
        let granted = try await access(context)
        guard granted.principal.role != .admin else { return granted }
        let settings = try await read(granted) { db in try SettingsRecords.load(db) }
        let visibility: RecordScope = switch settings.dailyReportVisibility {
        case .own: .own
        case .all: .all
        default: .team
        }
        let floor: RecordScope = granted.principal.role == .manager ? .team : .own
        return try await RecordAccess.of(context, narrowedTo: max(visibility, floor), controlPlane: controlPlane)
    }
}
