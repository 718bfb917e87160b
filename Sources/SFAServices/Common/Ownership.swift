import SFAStorage
import SFAStubs

extension TenantStore {
    /// The owner a new or reassigned record gets: `requested`, or the caller when
    /// empty. The owner must be an active user of the tenant within the caller's scope.
    func owner(_ requested: String, access: RecordAccess, field: String) async throws -> String {
        let owner = requested.isEmpty ? access.principal.userID : requested
        guard access.mayAssign(to: owner) else {
            throw RPCError.invalidArgument(
                "the owner is outside the caller's scope",
                violations: [FieldViolation(field: field, description: "you may not assign records to \(owner)")]
            )
        }
        guard owner != access.principal.userID else { return owner }
        let user = try? await controlPlane.user(owner, tenantID: access.tenantID)
        guard let user, user.status == UserStatus.active.rawValue else {
            throw RPCError.invalidArgument("unknown owner", violations: [FieldViolation(field: field, description: "no active user \(owner)")])
        }
        return owner
    }
}

/// An update mask checked against the fields a method lets callers change.
struct UpdateMask {
    let fields: Set<String>

    /// - Throws: INVALID_ARGUMENT for an empty mask or fields that cannot change.
    init(_ paths: [String], updatable: Set<String>, prefix: String) throws {
        var validation = Validation()
        validation.check(!paths.isEmpty, "update_mask", "lists no field to change")
        let fields = Set(paths.map { $0.hasPrefix(prefix + ".") ? String($0.dropFirst(prefix.count + 1)) : $0 })
        for field in fields.subtracting(updatable).sorted() {
            validation.check(false, "update_mask", "\(field) cannot be changed here")
        }
        try validation.throwIfInvalid()
        self.fields = fields
    }

    func contains(_ field: String) -> Bool { fields.contains(field) }
}

/// The list order a request asks for: by creation (ids sort by creation time),
/// oldest or newest first. Other orders are refused rather than ignored.
enum ListOrder {
    case oldestFirst, newestFirst

    init(_ orderBy: String) throws {
        switch RecordText.key(orderBy) {
        case "", "create_time_ms", "create_time_ms asc": self = .oldestFirst
        case "create_time_ms desc": self = .newestFirst
        default:
            throw RPCError.invalidArgument(
                "unsupported order",
                violations: [FieldViolation(field: "order_by", description: "use \"create_time_ms\" or \"create_time_ms desc\"")]
            )
        }
    }
}
