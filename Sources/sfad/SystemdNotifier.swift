import Foundation

/// Tells systemd (a `Type=notify` unit) that sfad is ready or stopping: one datagram
/// to the Unix socket named in `NOTIFY_SOCKET` (sd_notify(3)), without libsystemd.
/// Does nothing when the variable is unset, as when not started by systemd.
struct SystemdNotifier: Sendable {
    private let socketPath: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `READY=1`: the listener is bound and the data directory open.
    func ready() { send("READY=1\nSTATUS=serving") }

    /// `STOPPING=1`: a graceful drain began.
    func stopping() { send("STOPPING=1\nSTATUS=draining") }

    /// Best effort, as sd_notify is: a failure is not sfad's to act on.
    private func send(_ message: String) {
        guard var path = socketPath else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        // A leading `@` names a socket in the abstract namespace: a NUL byte in its place.
        let abstract = path.hasPrefix("@")
        if abstract { path.removeFirst() }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let offset = abstract ? 1 : 0
        guard bytes.count + offset < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            for (index, byte) in bytes.enumerated() { sunPath[index + offset] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + offset + bytes.count + (abstract ? 0 : 1))
        _ = message.withCString { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, text, strlen(text), Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
    }
}
