import Foundation
import Logging
import SFAServices
import SFAStorage

/// Shows, once, the keys a new data directory starts with, to the person starting
/// the server and never to the logs: on the terminal when standard output is one;
/// otherwise (systemd's journal, a container's log, a pipe) in files of mode 0600 in
/// the data directory, whose paths are printed instead.
struct CredentialAnnouncement {
    let storage: StorageConfiguration
    let logger: Logger
    var toTerminal = StandardOutput.isTerminal

    var operatorKeyPath: String { storage.dataDirectory + "/operator-key.txt" }
    var demoKeysPath: String { storage.dataDirectory + "/demo-keys.txt" }

    func announce(controlPlane: ControlPlane, tenants: TenantDatabases, demo: Bool) async throws {
        if let operatorKey = try await Bootstrap.ensureOperator(controlPlane) {
            if toTerminal {
                StandardOutput.write("New data directory \(storage.dataDirectory). Operator API key (shown once, keep it safe):")
                StandardOutput.write("  \(operatorKey.apiKey)")
            } else {
                try Bootstrap.writeSecretFile(
                    "# SalesWire operator API key. Keep it secret; delete this file once the key is stored elsewhere.\n\(operatorKey.apiKey)\n",
                    to: operatorKeyPath
                )
                StandardOutput.write("New data directory \(storage.dataDirectory). Operator API key written to \(operatorKeyPath) (mode 0600).")
                logger.notice("operator API key written", metadata: ["path": "\(operatorKeyPath)"])
            }
        }
        guard demo else { return }
        guard let (tenantID, credentials) = try await Bootstrap.createDemoTenant(controlPlane, tenants: tenants) else {
            StandardOutput.write("The demo tenant exists already; its keys are in \(demoKeysPath).")
            return
        }
        try Bootstrap.writeCredentials(credentials, tenantID: tenantID, to: demoKeysPath)
        guard toTerminal else {
            StandardOutput.write("Demo tenant \(tenantID): one API key per role, in \(demoKeysPath) (mode 0600).")
            return
        }
        StandardOutput.write("Demo tenant \(tenantID), one API key per role (also in \(demoKeysPath), mode 0600):")
        for credential in credentials {
            StandardOutput.write("  \(padded(String(describing: credential.role), 12))\(padded(credential.email, 26))\(credential.apiKey)")
        }
    }

    private func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
