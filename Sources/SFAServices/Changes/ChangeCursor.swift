import SFAStorage
import SFAStubs

/// Where a tenant's change feed stands: the position (rowid) of the last audit event
/// read and that event's id. Opaque to clients (``OpaqueToken``); bound to its tenant,
/// so a cursor never moves between tenants; the event id lets the feed tell a
/// position that still holds the history the client followed from one that does not
/// (a tenant restored from a backup).
struct ChangeCursor: Equatable {
    /// The start of the tenant's history.
    static let start = ChangeCursor(position: 0, eventID: "")

    /// The rowid of the last event read; 0 before the first.
    let position: Int64
    /// The id of the event at `position`; empty at the start.
    let eventID: String

    init(position: Int64, eventID: String) {
        self.position = position
        self.eventID = eventID
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
        guard parts.count == 4, parts[0] == "c1", parts[1] == Self.binding(tenantID),
            let position = Int64(parts[2]), position > 0, !parts[3].isEmpty
        else {
            throw Self.invalid
        }
        self.init(position: position, eventID: String(parts[3]))
    }

    /// The text a client gets back, for `tenantID`'s feed ("" at the start).
    func text(tenantID: String) -> String {
        guard position > 0 else { return "" }
        return OpaqueToken.encode("c1\n\(Self.binding(tenantID))\n\(position)\n\(eventID)")
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

    /// FAILED_PRECONDITION CURSOR_EXPIRED: the tenant's history no longer holds the
    /// event at the cursor's position.
    static var expired: RPCError {
        RPCError(
            code: .failedPrecondition,
            message: "the tenant's change history no longer holds this cursor's position (the tenant was restored from a backup); list the records again and start a new feed",
            details: ErrorDetails(reason: "CURSOR_EXPIRED")
        )
    }
}
