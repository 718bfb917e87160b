import NIOCore
import SFAMessages
import SFATransport

/// Feeds the input to a `FrameDecoder` in two parts (split where its first byte
/// says), as a connection would receive it, and decodes the header of every REQUEST
/// frame it cuts out, as the server does. Nothing may crash or leak; errors are fine.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let first = input.first else { return 0 }
    let split = min(Int(first), input.count)
    // A small maximum, so that oversized frames (discarded as they arrive) are reached.
    var decoder = FrameDecoder(maximumFrameSize: 4096)
    var buffer = ByteBuffer(bytes: input[..<split])
    drain(&decoder, &buffer)
    buffer.writeBytes(input[split...])
    drain(&decoder, &buffer)
    return 0
}

private func drain(_ decoder: inout FrameDecoder, _ buffer: inout ByteBuffer) {
    while true {
        let output: FrameDecoderOutput?
        do {
            output = try decoder.decode(buffer: &buffer)
        } catch {
            return  // a protocol error: the server closes the connection
        }
        switch output {
        case nil:
            return
        case .frame(let frame) where frame.type == .request:
            if let header = try? RequestHeader(buffer: frame.header, maximumSize: 4096) {
                // What decodes must encode back to something that decodes the same.
                precondition((try? RequestHeader(serializedBytes: header.serializedBytes())) == header)
            }
        default:
            continue
        }
    }
}
