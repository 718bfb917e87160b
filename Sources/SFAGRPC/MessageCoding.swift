import GRPCCore
import NIOCore
import SFACodec

/// A response of any method, as the dispatcher returns it.
struct AnyProtoMessage: Sendable {
    let message: any ProtoMessage

    init(_ message: any ProtoMessage) {
        self.message = message
    }
}

/// Encodes responses with the protobuf-c codec the native transport uses, so both
/// transports send the same bytes for the same response (stored records included:
/// an `EncodedMessage` is copied as it is).
struct ProtoMessageSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ response: AnyProtoMessage) throws -> Bytes {
        Bytes(response.message.serializedBytes())
    }
}

/// Hands a request's bytes to the dispatcher undecoded: it decodes them with the
/// method's protobuf-c decoder once the gate has admitted the call, as it does for
/// the native transport (``DispatchingService``).
struct PayloadDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> ByteBuffer {
        bytes.withUnsafeBytes { ByteBuffer(bytes: $0) }
    }
}
