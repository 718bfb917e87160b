import SFAMessages

/// The first byte picks a message type of the API; the rest is decoded as that type
/// through its generated decoder (the wire check, protobuf-c, the Swift copy). What
/// decodes must encode to bytes that decode to the same value: a crash, a leak or a
/// broken round trip is a finding; refusals are fine.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessages(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let first = input.first else { return 0 }
    let types = SFAMessageRegistry.allMessageTypes
    let type = types[Int(first) % types.count]
    let encoding = UnsafeRawBufferPointer(rebasing: input[1...])
    roundTrip(type, encoding)
    return 0
}

private func roundTrip<M: ProtoMessage>(_: M.Type, _ bytes: UnsafeRawBufferPointer) {
    guard let message = try? M(serializedBytes: bytes) else { return }
    let encoded = message.serializedBytes()
    precondition((try? M(serializedBytes: encoded)) == message, "\(M.protoName) does not survive a round trip")
}
