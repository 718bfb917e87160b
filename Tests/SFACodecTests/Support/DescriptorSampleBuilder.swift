import CProtobufC
import SFACodec

/// Builds, for any message, a protobuf-c C struct with every field set to a
/// non-default value, working only from the message's protobuf-c descriptor — no
/// per-message code. protobuf-c then packs it, which gives the reference encoding
/// the Swift bindings must reproduce.
final class DescriptorSampleBuilder {
    /// Elements in each repeated or map field of the top-level message.
    let topLevelRepeatCount: Int
    /// Which member of each oneof to set (taken modulo the number of members).
    let oneofChoice: Int
    private var allocations: [UnsafeMutableRawPointer] = []

    init(topLevelRepeatCount: Int = 3, oneofChoice: Int = 0) {
        self.topLevelRepeatCount = topLevelRepeatCount
        self.oneofChoice = oneofChoice
    }

    deinit {
        for allocation in allocations { allocation.deallocate() }
    }

    /// The protobuf-c encoding of a sample of the message `descriptor` describes.
    func encodedSample(of descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> [UInt8] {
        let message = build(descriptor, depth: 0, mapIndex: nil)
        let size = protobuf_c_message_get_packed_size(message)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = size == 0 ? 0 : protobuf_c_message_pack(message, buffer.baseAddress!)
        }
    }

    /// The longest oneof in the message, so that callers can build one sample per member.
    static func largestOneof(in descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> Int {
        var counts: [UInt32: Int] = [:]
        for field in fields(of: descriptor) where isOneof(field) {
            counts[field.quantifier_offset, default: 0] += 1
        }
        return counts.values.max() ?? 1
    }

    // MARK: Building

    private func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 16)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
        allocations.append(pointer)
        return pointer
    }

    private static func fields(of descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> [ProtobufCFieldDescriptor] {
        (0..<Int(descriptor.pointee.n_fields)).map { descriptor.pointee.fields[$0] }
    }

    private static func isOneof(_ field: ProtobufCFieldDescriptor) -> Bool {
        field.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0
    }

    /// `mapIndex` is set when building the entry of a map field: it becomes the key,
    /// so keys are unique and ascending, the order the Swift side encodes maps in.
    private func build(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        depth: Int,
        mapIndex: Int?
    ) -> UnsafeMutablePointer<ProtobufCMessage> {
        let raw = allocate(descriptor.pointee.sizeof_message)
        let message = raw.assumingMemoryBound(to: ProtobufCMessage.self)
        descriptor.pointee.message_init(message)
        let fields = Self.fields(of: descriptor)
        var oneofMembers: [UInt32: [UInt32]] = [:]
        for field in fields where Self.isOneof(field) {
            oneofMembers[field.quantifier_offset, default: []].append(field.id)
        }
        for field in fields {
            let target = raw + Int(field.offset)
            if let mapIndex, field.id == 1 {
                storeKey(field, index: mapIndex, at: target)
                continue
            }
            if Self.isOneof(field) {
                let members = oneofMembers[field.quantifier_offset]!
                guard members[oneofChoice % members.count] == field.id else { continue }
                (raw + Int(field.quantifier_offset)).storeBytes(of: field.id, as: UInt32.self)
                store(field, seed: 0, at: target, depth: depth)
            } else if field.label == PROTOBUF_C_LABEL_REPEATED {
                let count = depth == 0 ? topLevelRepeatCount : 2
                let elementSize = Self.elementSize(field)
                let elements = allocate(elementSize * count)
                let isMap = Self.isMapEntry(field)
                for index in 0..<count {
                    let slot = elements + index * elementSize
                    if field.type == PROTOBUF_C_TYPE_MESSAGE {
                        let entry = build(Self.messageDescriptor(field), depth: depth + 1, mapIndex: isMap ? index : nil)
                        slot.storeBytes(of: UnsafeMutableRawPointer(entry), as: UnsafeMutableRawPointer.self)
                    } else {
                        store(field, seed: index, at: slot, depth: depth)
                    }
                }
                (raw + Int(field.quantifier_offset)).storeBytes(of: count, as: Int.self)
                target.storeBytes(of: elements, as: UnsafeMutableRawPointer.self)
            } else {
                store(field, seed: 0, at: target, depth: depth)
            }
        }
        return message
    }

    private static func messageDescriptor(_ field: ProtobufCFieldDescriptor) -> UnsafePointer<ProtobufCMessageDescriptor> {
        field.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
    }

    private static func isMapEntry(_ field: ProtobufCFieldDescriptor) -> Bool {
        guard field.type == PROTOBUF_C_TYPE_MESSAGE else { return false }
        let descriptor = messageDescriptor(field).pointee
        let name = String(cString: descriptor.name)
        let package = String(cString: descriptor.package_name)
        return name.dropFirst(package.count + 1).contains(".")
    }

    private static func elementSize(_ field: ProtobufCFieldDescriptor) -> Int {
        switch field.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_UINT32,
            PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_FLOAT, PROTOBUF_C_TYPE_BOOL, PROTOBUF_C_TYPE_ENUM:
            4
        case PROTOBUF_C_TYPE_BYTES:
            MemoryLayout<ProtobufCBinaryData>.stride
        default:
            8
        }
    }

    private func storeKey(_ field: ProtobufCFieldDescriptor, index: Int, at target: UnsafeMutableRawPointer) {
        if field.type == PROTOBUF_C_TYPE_STRING {
            let digits = String(index)
            storeString("key-" + String(repeating: "0", count: 6 - digits.count) + digits, at: target)
        } else {
            store(field, seed: index, at: target, depth: 0)
        }
    }

    private func storeString(_ string: String, at target: UnsafeMutableRawPointer) {
        let utf8 = Array(string.utf8)
        let copy = allocate(utf8.count + 1)
        copy.copyMemory(from: utf8, byteCount: utf8.count)
        target.storeBytes(of: copy, as: UnsafeMutableRawPointer.self)
    }

    /// Stores a non-default value of the field's type, varied by `seed` and the field number.
    private func store(_ field: ProtobufCFieldDescriptor, seed: Int, at target: UnsafeMutableRawPointer, depth: Int) {
        let n = Int64(field.id) + Int64(seed) * 31
        switch field.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32:
            target.storeBytes(of: Int32(truncatingIfNeeded: -n - 1), as: Int32.self)
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
            target.storeBytes(of: UInt32(truncatingIfNeeded: n + 4_000_000_000 - 1 << 31), as: UInt32.self)
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64:
            target.storeBytes(of: -(1 << 40) - n, as: Int64.self)
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
            target.storeBytes(of: UInt64(1 << 62) + UInt64(n), as: UInt64.self)
        case PROTOBUF_C_TYPE_FLOAT:
            target.storeBytes(of: Float(n) + 0.5, as: Float.self)
        case PROTOBUF_C_TYPE_DOUBLE:
            target.storeBytes(of: Double(n) + 0.25, as: Double.self)
        case PROTOBUF_C_TYPE_BOOL:
            target.storeBytes(of: Int32(1), as: Int32.self)
        case PROTOBUF_C_TYPE_ENUM:
            let enumDescriptor = field.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self).pointee
            let value = enumDescriptor.values[Int(enumDescriptor.n_values) - 1].value
            target.storeBytes(of: value == 0 ? 7 : value, as: Int32.self)
        case PROTOBUF_C_TYPE_STRING:
            storeString("s\(n)-é漢字", at: target)
        case PROTOBUF_C_TYPE_BYTES:
            let bytes = allocate(3).assumingMemoryBound(to: UInt8.self)
            bytes[0] = 0
            bytes[1] = 255
            bytes[2] = UInt8(truncatingIfNeeded: n)
            target.storeBytes(of: ProtobufCBinaryData(len: 3, data: bytes), as: ProtobufCBinaryData.self)
        case PROTOBUF_C_TYPE_MESSAGE:
            let child = build(Self.messageDescriptor(field), depth: depth + 1, mapIndex: nil)
            target.storeBytes(of: UnsafeMutableRawPointer(child), as: UnsafeMutableRawPointer.self)
        default:
            preconditionFailure("unsupported field type \(field.type)")
        }
    }
}
