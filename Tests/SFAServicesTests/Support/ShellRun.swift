import Foundation
import SFATestSupport
import Testing

/// The built executables next to the running test executable, wherever the build put
/// them (`--scratch-path`, `-c release`); `swift build --build-tests` builds them.
func builtExecutable(_ name: String) -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent(name).path
}

/// What a shell script printed and how it ended.
struct ShellResult: Sendable {
    var status: Int32
    var output: String
    var error: String
}

/// Runs `script` with `/bin/sh -c` (so tests can close or redirect descriptors),
/// `SFAD`, `SFACTL` and `SFALOAD` in it standing for the built executables, and kills it after
/// `seconds`. Standard output and error go to files, so nothing blocks on a pipe. The
/// wait runs on a thread of its own, never on the cooperative pool that a server in
/// the test process needs to answer the script.
func runShell(_ script: String, environment: [String: String] = [:], seconds: Double = 60) async throws -> ShellResult {
    for tool in ["sfad", "sfactl"] + (script.contains("SFALOAD") ? ["sfa-load"] : []) {
        try #require(FileManager.default.isExecutableFile(atPath: builtExecutable(tool)), "build \(tool) first: swift build")
    }
    return try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try blockingRun(script, environment: environment, seconds: seconds) }) }.start()
    }
}

private func blockingRun(_ script: String, environment: [String: String], seconds: Double) throws -> ShellResult {
    let base = NSTemporaryDirectory() + "sfa-shell-" + UUID().uuidString
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    let command = script.replacingOccurrences(of: "SFACTL", with: "'\(builtExecutable("sfactl"))'")
        .replacingOccurrences(of: "SFALOAD", with: "'\(builtExecutable("sfa-load"))'")
        .replacingOccurrences(of: "SFAD", with: "'\(builtExecutable("sfad"))'")
    let process = try ChildProcess(
        "/bin/sh", ["-c", command], environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
        output: base + ".out", error: base + ".err"
    )
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return ShellResult(
        status: process.terminationStatus,
        output: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
        error: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
    )
}
