import SFAStorage
import SFAStubs

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
                violations: [FieldViolation("order_by", .unknownValue, "use \"create_time_ms\" or \"create_time_ms desc\"")]
            )
        }
    }
}
