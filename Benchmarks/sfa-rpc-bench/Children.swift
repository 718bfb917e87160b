import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process of this executable in the server or echo role.
final class Child {
    let role: BenchOptions.Role
    let port: Int
    private let process: Process
    private let standardInput: Pipe

    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `<this executable> --role <role> --port 0` and waits for its `PORT <n>` line.
    init(role: BenchOptions.Role) throws {
        let process = Process()
        process.executableURL = Self.executableURL
        process.arguments = ["--role", role.rawValue, "--port", "0"]
        let standardInput = Pipe()
        let standardOutput = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        try process.run()
        self.role = role
        self.process = process
        self.standardInput = standardInput

        // Read up to the first line that says where the child listens; a child that
        // says nothing within 10 s is killed, which ends the read below.
        let reported = Flag()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 10) {
            if !reported.value.exchange(true, ordering: .acquiringAndReleasing) { kill(pid, SIGKILL) }
        }
        var received: [UInt8] = []
        var port: Int?
        let reader = standardOutput.fileHandleForReading
        while port == nil {
            let data = reader.availableData
            if data.isEmpty { break }  // the child exited
            received.append(contentsOf: data)
            for line in String(decoding: received, as: UTF8.self).split(separator: "\n") where line.hasPrefix("PORT ") {
                port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespaces))
            }
        }
        reported.value.store(true, ordering: .releasing)  // before the child can be reaped
        guard let port else {
            process.terminate()
            process.waitUntilExit()
            throw LaunchError(
                description: "the \(role) child did not report its port (exit status \(process.terminationStatus))"
            )
        }
        self.port = port
    }

    /// The executable to spawn: ours, as we were started.
    private static var executableURL: URL {
        let path = CommandLine.arguments[0]
        if path.contains("/") { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: "/proc/self/exe")  // found through PATH
    }

    /// The child as something to measure.
    var target: Target {
        Target(name: role.rawValue, port: port, pid: process.processIdentifier)
    }

    /// Closes the child's stdin (it exits on its own), then makes sure it is gone.
    func stop() {
        try? standardInput.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(2)
        while process.isRunning, ContinuousClock.now < deadline {
            usleep(10_000)
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}
