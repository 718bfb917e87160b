import GRDB
import SFAStorage
import SFAStubs

/// Where a tenant's change feed stands: the position (rowid) of the last audit event
/// read, that event's id, and the history epoch it was read in. Opaque to clients
/// (``OpaqueToken``); bound to its tenant, so a cursor never moves between tenants.
/// The epoch changes with every restore (``epoch(_:tenantID:)``), so a cursor from
/// before one expires: the client's copy may hold versions, or lack tombstones, that
/// the restored history never had. The event id also catches a position that no
/// longer holds the event read there.
struct ChangeCursor: Equatable {
    /// The start of the tenant's history.
    static let start = ChangeCursor(position: 0, eventID: "", epoch: "")

    /// The rowid of the last event read; 0 before the first.
    let position: Int64
    /// The id of the event at `position`; empty at the start.
    let eventID: String
    /// The history epoch the cursor was made in; empty before the tenant's first restore.
    let epoch: String

    init(position: Int64, eventID: String, epoch: String) {
        self.position = position
        self.eventID = eventID
        self.epoch = epoch
    }

    /// The tenant's history epoch: the id of the audit event of its latest restore,
    /// which `RestoreTenant` writes into the restored file before it takes the live
    /// file's place; empty while the tenant was never restored. The events of one
    /// tenant record are few (and found through `audit_event_record`), so this is
    /// cheap on every call.
    static func epoch(_ db: Database, tenantID: String) throws -> String {
        try String.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT id FROM audit_event WHERE record_kind = ? AND record_id = ? AND method = ?
                    ORDER BY rowid DESC LIMIT 1
                    """
            ),
            arguments: [RecordKind.tenant.rawValue, tenantID, AdminServiceMethods.restoreTenant.fullName]
        ) ?? ""
    }

    /// The cursor a client sent for `tenantID`'s feed; "" is the start.
    /// - Throws: INVALID_ARGUMENT (`cursor`) for text that is not a cursor of this
    ///   tenant's feed.
    init(_ text: String, tenantID: String) throws {
        guard !text.isEmpty else {
            self = .start
            return
        }
        guard let decoded = OpaqueToken.decode(text, maximumLength: 256) else { throw Self.invalid }
        let parts = decoded.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "c1", parts[1] == Self.binding(tenantID),
            let position = Int64(parts[2]), position > 0, !parts[3].isEmpty
        else {
            throw Self.invalid
        }
        self.init(position: position, eventID: String(parts[3]), epoch: String(parts[4]))
    }

    /// The text a client gets back, for `tenantID`'s feed ("" at the start).
    func text(tenantID: String) -> String {
        guard position > 0 else { return "" }
        return OpaqueToken.encode("c1\n\(Self.binding(tenantID))\n\(position)\n\(eventID)\n\(epoch)")
    }

    private static func binding(_ tenantID: String) -> String {
        OpaqueToken.fingerprint(Array("changes\n\(tenantID)".utf8))
    }

    private static var invalid: RPCError {
        RPCError.invalidArgument(
            "invalid cursor",
            violations: [FieldViolation("cursor", .invalidFormat, "not a cursor of this tenant's change feed")]
        )
    }

    /// FAILED_PRECONDITION CURSOR_EXPIRED: the tenant was restored since the cursor
    /// was made, or its history no longer holds the event at the cursor's position.
    static var expired: RPCError {
        RPCError(
            code: .failedPrecondition,
            message: "the tenant was restored from a backup since this cursor was made; list the records again and start a new feed",
            details: ErrorDetails(reason: "CURSOR_EXPIRED")
        )
    }
}
