/// The type byte of a frame (SPEC §3). A struct over `UInt8`, so that reserved
/// types (7 and up) can be carried and ignored rather than rejected.
public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A call: header `RequestHeader`, payload the request message.
    public static let request = FrameType(rawValue: 1)
    /// The answer to a call: header `ResponseHeader`, payload the response (empty on errors).
    public static let response = FrameType(rawValue: 2)
    /// The client gives up on a call; the server stops it and sends no response.
    public static let cancel = FrameType(rawValue: 3)
    /// Liveness check; answered by `pong` with the same call id and payload.
    public static let ping = FrameType(rawValue: 4)
    /// The answer to `ping`.
    public static let pong = FrameType(rawValue: 5)
    /// The server drains: header `GoAway` with the last call id it will process.
    public static let goAway = FrameType(rawValue: 6)

    public var description: String {
        switch self {
        case .request: "REQUEST"
        case .response: "RESPONSE"
        case .cancel: "CANCEL"
        case .ping: "PING"
        case .pong: "PONG"
        case .goAway: "GOAWAY"
        default: "RESERVED(\(rawValue))"
        }
    }
}
