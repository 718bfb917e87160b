import Foundation

/// A plain HTTP/1.1 GET over loopback, read to the end (the request asks the server to
/// close): the admin listener's tests need nothing more, and no proxy settings apply.
/// The blocking socket calls run on a thread of their own, never on the cooperative
/// pool the server's tasks need.
public func httpGet(port: Int, path: String) async throws -> (status: Int, body: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try blockingGet(port: port, path: path) }) }.start()
    }
}

private func blockingGet(port: Int, path: String) throws -> (status: Int, body: String) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw HTTPGetError.failed("socket") }
    defer { close(descriptor) }
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw HTTPGetError.failed("connect") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard send(descriptor, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { throw HTTPGetError.failed("send") }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { break }
        response += buffer[0..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let statusText = text.split(separator: " ").dropFirst().first, let status = Int(statusText),
        let bodyStart = text.range(of: "\r\n\r\n")
    else { throw HTTPGetError.failed("no HTTP response: \(text)") }
    return (status, String(text[bodyStart.upperBound...]))
}

public enum HTTPGetError: Error {
    case failed(String)
}
