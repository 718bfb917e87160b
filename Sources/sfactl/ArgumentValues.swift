import ArgumentParser
import SFAMessages

/// A tenant role as typed on the command line.
enum RoleArgument: String, CaseIterable, ExpressibleByArgument {
    case admin, manager, rep, marketing
    case insideSales = "inside_sales"
    case partner, viewer

    init?(argument: String) {
        let normalized = argument.lowercased().replacingOccurrences(of: "-", with: "_")
        self.init(rawValue: normalized == "insidesales" ? "inside_sales" : normalized)
    }

    var role: Role {
        switch self {
        case .admin: .admin
        case .manager: .manager
        case .rep: .rep
        case .marketing: .marketing
        case .insideSales: .insideSales
        case .partner: .partner
        case .viewer: .viewer
        }
    }
}

/// A tenant status filter as typed on the command line.
enum TenantStatusArgument: String, CaseIterable, ExpressibleByArgument {
    case active, suspended, deleted

    var status: TenantStatus {
        switch self {
        case .active: .active
        case .suspended: .suspended
        case .deleted: .deleted
        }
    }
}

/// An export format as typed on the command line.
enum ExportFormatArgument: String, CaseIterable, ExpressibleByArgument {
    case jsonl, sqlite

    var format: ExportFormat {
        switch self {
        case .jsonl: .jsonLines
        case .sqlite: .sqlite
        }
    }
}
