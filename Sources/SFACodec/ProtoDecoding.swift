public import CProtobufC

/// Conversions from protobuf-c's C values to Swift values, used by generated
/// `init(cMessage:)` implementations.
public enum ProtoDecoding {
    /// A Swift string from a protobuf-c string (NUL-terminated UTF-8). The bytes
    /// decoded were checked to be valid UTF-8 without NUL (``ProtoWireCheck``);
    /// `String(cString:)` would repair anything else rather than trust it.
    @inlinable
    public static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        // Most unset fields are empty strings: skip String's strlen and validation for them.
        guard let pointer, pointer.pointee != 0 else { return "" }
        return String(cString: pointer)
    }

    /// The bytes of a protobuf-c `bytes` value.
    @inlinable
    public static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let base = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }

    /// The elements of a protobuf-c repeated field, converted one by one.
    @inlinable
    public static func array<CElement, Element>(
        _ count: Int,
        _ elements: UnsafePointer<CElement>?,
        _ convert: (CElement) -> Element
    ) -> [Element] {
        guard count > 0, let elements else { return [] }
        return UnsafeBufferPointer(start: elements, count: count).map(convert)
    }

    /// The messages of a protobuf-c repeated message field.
    @inlinable
    public static func messages<M: ProtoMessage>(
        _ count: Int,
        _ elements: UnsafePointer<UnsafeMutablePointer<M.CMessage>?>?
    ) -> [M] {
        array(count, elements) { M(cMessage: $0!) }
    }

    /// A dictionary from a protobuf-c map field (a repeated entry message). When a
    /// key repeats, the last entry wins, as the protobuf specification says.
    @inlinable
    public static func map<Entry, Key: Hashable, Value>(
        _ count: Int,
        _ entries: UnsafePointer<UnsafeMutablePointer<Entry>?>?,
        _ convert: (UnsafePointer<Entry>) -> (Key, Value)
    ) -> [Key: Value] {
        guard count > 0, let entries else { return [:] }
        var result = [Key: Value](minimumCapacity: count)
        for index in 0..<count {
            let (key, value) = convert(entries[index]!)
            result[key] = value
        }
        return result
    }
}
