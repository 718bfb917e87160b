import Foundation
import Testing

/// `sfad` as operators start it: its version, its config file, its admin address, and
/// a first start whose standard output is not a terminal.
@Suite struct SfadCommandTests {
    /// Runs sfad through `/bin/sh -c` (to close or redirect its descriptors) and returns
    /// its exit status with standard output and error, or kills it after `seconds`.
    private func sfad(_ shell: String, seconds: Double = 30) throws -> (status: Int32, output: String) {
        try #require(FileManager.default.isExecutableFile(atPath: SfadProcess.executablePath), "build sfad first: swift build")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", shell.replacingOccurrences(of: "SFAD", with: "'\(SfadProcess.executablePath)'")]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, text)
    }

    private func temporaryDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "sfa-sfad-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func versionIsPrinted() throws {
        let (status, output) = try sfad("SFAD --version")
        #expect(status == 0)
        #expect(output.split(separator: ".").count == 3, "not a version: \(output)")
    }

    @Test func anUnknownConfigKeyStopsTheStartNamingTheKey() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(#"{"port": 0, "maximumConnection": 10}"#.utf8).write(to: URL(fileURLWithPath: directory + "/sfad.json"))
        let (status, output) = try sfad("SFAD --config '\(directory)/sfad.json' --data-dir '\(directory)/data'")
        #expect(status != 0)
        #expect(output.contains("unknown key maximumConnection"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/data/control.sqlite"), "it started anyway")
    }

    @Test func aPublicAdminAddressIsRefusedUnlessAllowed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (status, output) = try sfad("SFAD --port 0 --admin-address 0.0.0.0:0 --data-dir '\(directory)/data'")
        #expect(status != 0)
        #expect(output.contains("--admin-public"))
    }

    @Test func aFirstStartWithStandardOutputClosedWritesTheOperatorKeyToAPrivateFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Standard output closed (`>&-`), standard error to a file; stopped by SIGTERM
        // once the key file and the listener exist.
        let data = directory + "/data"
        let (status, log) = try sfad(
            """
            SFAD --port 0 --data-dir '\(data)' --log-level trace >&- 2>'\(directory)/err' & pid=$!
            for i in $(seq 1 1500); do grep -q listening '\(directory)/err' 2>/dev/null && break; sleep 0.02; done
            kill -TERM $pid; wait $pid; status=$?; cat '\(directory)/err'; exit $status
            """
        )
        #expect(status == 0, "sfad failed: \(log)")
        let keyFile = data + "/operator-key.txt"
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let key = try #require(try String(contentsOfFile: keyFile, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("sfa_key_") })
        #expect(!log.contains(key), "the key reached the log")
        #expect(log.contains("operator API key written"))
    }
}
