import Foundation

/// Runs `executable` with `arguments` to its end on the calling thread.
/// - Returns: its exit status and what it printed (both streams, in a file, so that
///   nothing blocks on a pipe).
public func runToEnd(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let log = NSTemporaryDirectory() + "sfa-run-" + UUID().uuidString + ".log"
    defer { try? FileManager.default.removeItem(atPath: log) }
    let child = try ChildProcess(executable, arguments, output: log, error: log)
    child.waitUntilExit()
    return (child.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// A TCP port on loopback that nothing listened on a moment ago.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw ProcessLaunchError("socket failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw ProcessLaunchError("no free port on loopback") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A helper process that did not do what the test needs.
public struct ProcessLaunchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
