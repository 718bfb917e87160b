/// JSON that does not fit the message it is meant for (an unknown field, a value of
/// the wrong type or out of range, two members of one oneof), or bytes that are not
/// the message they should be. The message names the field's path.
public struct ProtoJSONError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) { self.description = description }
}
