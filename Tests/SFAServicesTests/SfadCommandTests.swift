import Foundation
import Testing

/// `sfad` as operators start it: its version, its config file, its admin address, and
/// a first start whose standard output is not a terminal.
@Suite struct SfadCommandTests {
    /// sfad's exit status and everything it printed.
    private func sfad(_ script: String) async throws -> (status: Int32, output: String) {
        let result = try await runShell(script, seconds: 300)  // sfad has taken over 30 s to start under the whole suite
        return (result.status, result.output + result.error)
    }

    private func temporaryDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "sfa-sfad-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func versionIsPrinted() async throws {
        let (status, output) = try await sfad("SFAD --version")
        #expect(status == 0)
        #expect(output.split(separator: ".").count == 3, "not a version: \(output)")
    }

    @Test func anUnknownConfigKeyStopsTheStartNamingTheKey() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(#"{"port": 0, "maximumConnection": 10}"#.utf8).write(to: URL(fileURLWithPath: directory + "/sfad.json"))
        let (status, output) = try await sfad("SFAD --config '\(directory)/sfad.json' --data-dir '\(directory)/data'")
        #expect(status != 0)
        #expect(output.contains("unknown key maximumConnection"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/data/control.sqlite"), "it started anyway")
    }

    @Test func aPublicAdminAddressIsRefusedUnlessAllowed() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (status, output) = try await sfad("SFAD --port 0 --admin-address 0.0.0.0:0 --data-dir '\(directory)/data'")
        #expect(status != 0)
        #expect(output.contains("--admin-public"))
    }

    @Test func clusterSettingsThatCannotWorkStopTheStartWithTheReason() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let notPostgres = try await sfad("SFAD --port 0 --data-dir '\(directory)/data' --control-plane mysql://root@localhost/sfa")
        #expect(notPostgres.status != 0)
        #expect(notPostgres.output.contains("control plane must be a postgres:// URL"))
        let badMode = try await sfad("SFAD --port 0 --data-dir '\(directory)/data' --control-plane 'postgres://sfa@localhost/sfa?sslmode=allow'")
        #expect(badMode.status != 0)
        #expect(badMode.output.contains("sslmode=allow is not supported"))
        let unnamed = try await sfad("SFAD --port 0 --data-dir '\(directory)/data' --node-id a")
        #expect(unnamed.status != 0)
        #expect(unnamed.output.contains("must give --advertise-address"))
        let hostless = try await sfad("SFAD --port 0 --data-dir '\(directory)/data' --control-plane 'postgres://sfa:s3cret@/sfa' --node-id a")
        #expect(hostless.status != 0)
        #expect(hostless.output.contains("postgres://sfa:***@/sfa") && !hostless.output.contains("s3cret"))
        let anonymous = try await sfad("SFAD --port 0 --data-dir '\(directory)/data' --control-plane postgres://sfa@localhost/sfa")
        #expect(anonymous.status != 0)
        #expect(anonymous.output.contains("needs --node-id"))
        let local = try await sfad("SFAD --port 0 --data-dir '\(directory)/data' --node-id a --advertise-address 127.0.0.1:1")
        #expect(local.status != 0)
        #expect(local.output.contains("must give --handoff-dir"))
    }

    @Test func aFirstStartWithStandardOutputClosedWritesTheOperatorKeyToAPrivateFile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Standard output closed (`>&-`), standard error to a file; stopped by SIGTERM
        // once the key file and the listener exist.
        let data = directory + "/data"
        let (status, log) = try await sfad(
            """
            SFAD --port 0 --data-dir '\(data)' --log-level trace >&- 2>'\(directory)/err' & pid=$!
            for i in $(seq 1 6000); do grep -q listening '\(directory)/err' 2>/dev/null && break; sleep 0.02; done
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

    @Test func aKeysLastUseWaitingForItsBatchIsWrittenWhenSfadStops() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/data"
        // The operator key's use is written at once; the demo key's, a moment later,
        // waits for the next batch a second on, and SIGTERM comes before that.
        let (status, output) = try await sfad(
            """
            SFAD --port 0 --demo --data-dir '\(data)' >/dev/null 2>'\(directory)/err' & pid=$!
            for i in $(seq 1 6000); do grep -q listening '\(directory)/err' 2>/dev/null && break; sleep 0.02; done
            port=$(sed -n 's/.*:\\([0-9]*\\) .*\\] listening$/\\1/p' '\(directory)/err' | head -1)
            operator=$(grep -m1 '^sfa_key_' '\(data)/operator-key.txt')
            demo=$(grep -m1 '^manager' '\(data)/demo-keys.txt' | cut -f3)
            SFACTL --port $port --api-key "$operator" tenants list >/dev/null || exit 3
            SFACTL --port $port --api-key "$demo" call sfa.v1.LeadService/ListLeads '{}' >/dev/null || exit 4
            kill -TERM $pid; wait $pid || exit 5
            python3 -c "import sqlite3; print(sqlite3.connect('\(data)/control.sqlite').execute('SELECT count(*) FROM api_key WHERE last_used_time_ms > 0').fetchone()[0])"
            """
        )
        #expect(status == 0, "\(output)")
        #expect(output.split(separator: "\n").last == "2", "\(output)")
    }

    /// By default another process cannot open a tenant file sfad has open, and sfad
    /// keeps no `-shm` file for it; once sfad stops the file opens. With
    /// `--tenant-file-locking shared` (Litestream) it opens while sfad has it open.
    @Test func tenantFilesAreSfadsAloneWhileOpenUnlessShared() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/data"
        // Reads the demo tenant's leads from another process, without waiting for a lock.
        let read = """
            python3 -c "
            import glob, sqlite3
            path = glob.glob('\(data)/tenants/ten_*.sqlite')[0]
            try:
                print('read', sqlite3.connect(path, timeout=0).execute('SELECT count(*) FROM lead').fetchone()[0])
            except sqlite3.OperationalError as error:
                print('refused:', error)
            "
            """
        func whileOpen(_ flags: String) -> String {
            """
            SFAD --port 0 --data-dir '\(data)' \(flags) >/dev/null 2>'\(directory)/err' & pid=$!
            for i in $(seq 1 6000); do grep -q listening '\(directory)/err' 2>/dev/null && break; sleep 0.02; done
            port=$(sed -n 's/.*:\\([0-9]*\\) .*\\] listening$/\\1/p' '\(directory)/err' | head -1)
            demo=$(grep -m1 '^manager' '\(data)/demo-keys.txt' | cut -f3)
            SFACTL --port $port --api-key "$demo" call sfa.v1.LeadService/ListLeads '{}' >/dev/null || exit 4
            \(read)
            ls '\(data)/tenants' | grep -c -- '-shm$'
            kill -TERM $pid; wait $pid || exit 5
            : >'\(directory)/err'
            """
        }
        // The demo tenant is made at the first start only; the second reuses its keys.
        let (status, output) = try await sfad(whileOpen("--demo") + "\n" + read + "\n" + whileOpen("--tenant-file-locking shared"))
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(output)")
        guard lines.count == 5 else { return }
        #expect(lines[0] == "refused: database is locked")
        #expect(lines[1] == "0")
        #expect(lines[2].hasPrefix("read ") && lines[2] != "read 0", "the demo tenant has leads")
        #expect(lines[3] == lines[2])
        #expect(lines[4] == "1")

        let (badStatus, badOutput) = try await sfad("SFAD --port 0 --data-dir '\(data)' --tenant-file-locking none")
        #expect(badStatus != 0)
        #expect(badOutput.contains("tenant file locking none is neither process nor shared"))
    }

    @Test func systemdHearsReadyOnceSfadListensAndStoppingWhenItDrains() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // python3 plays systemd: a datagram socket in NOTIFY_SOCKET, then SIGTERM once READY came.
        let (status, output) = try await sfad(
            """
            python3 - <<'PY'
            import os, signal, socket, subprocess
            path = "\(directory)/notify"
            server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            server.bind(path)
            server.settimeout(120)
            sfad = subprocess.Popen(["\(builtExecutable("sfad"))", "--port", "0", "--data-dir", "\(directory)/data"],
                                    env={**os.environ, "NOTIFY_SOCKET": path}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(server.recv(256).decode().replace("\\n", " "))
            sfad.send_signal(signal.SIGTERM)
            print(server.recv(256).decode().replace("\\n", " "))
            print("exit", sfad.wait(timeout=120))
            PY
            """
        )
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("READY=1") == true, "\(output)")
        #expect(lines.dropFirst().first?.hasPrefix("STOPPING=1") == true, "\(output)")
        #expect(lines.last == "exit 0", "\(output)")
    }
}
