import Foundation

/// A throwaway PKI made with the `openssl` command line in a fresh directory: a CA, a
/// server certificate for 127.0.0.1 and localhost, and client certificates, all P-256
/// and valid for two days. Each file is PEM; ``remove()`` deletes them.
public struct TestCertificates: Sendable {
    public let directory: String

    /// Makes the directory and, in it, `ca.pem`/`ca.key` with `server.pem`/`server.key`.
    public init() throws {
        directory = NSTemporaryDirectory() + "sfa-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try makeAuthority("ca")
        try issue("server", by: "ca", names: "IP:127.0.0.1,DNS:localhost", usage: "serverAuth")
    }

    public func path(_ name: String) -> String { directory + "/" + name }

    /// A self-signed CA, `NAME.pem` and `NAME.key`.
    public func makeAuthority(_ name: String) throws {
        try openssl(
            "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2",
            "-keyout \(name).key -out \(name).pem -subj '/CN=SalesWire test \(name)'",
            "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        )
    }

    /// A certificate `NAME.pem` (with key `NAME.key`) signed by the CA `authority`,
    /// naming `names` (`IP:…`, `DNS:…`, `URI:…`) for `usage` (`serverAuth`, `clientAuth`),
    /// valid for `days` from now; -1 makes one that expired a day ago.
    public func issue(_ name: String, by authority: String, names: String, usage: String, days: Int = 2) throws {
        try "subjectAltName=\(names)\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=\(usage)\n"
            .write(toFile: path(name + ".ext"), atomically: true, encoding: .utf8)
        try openssl(
            "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout \(name).key -out \(name).csr -subj '/CN=\(name)'"
        )
        try openssl(
            "x509 -req -in \(name).csr -CA \(authority).pem -CAkey \(authority).key -CAcreateserial -days \(days)",
            "-out \(name).pem -extfile \(name).ext"
        )
    }

    /// A client certificate bound to `tenants` (URI names `urn:saleswire:tenant:<id>`).
    public func issueClient(_ name: String, by authority: String = "ca", tenants: [String] = [], days: Int = 2) throws {
        let names = tenants.isEmpty ? "DNS:\(name).partner.example" : tenants.map { "URI:urn:saleswire:tenant:\($0)" }.joined(separator: ",")
        try issue(name, by: authority, names: names, usage: "clientAuth", days: days)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func openssl(_ arguments: String...) throws {
        let process = try ChildProcess("/bin/sh", ["-c", "cd '\(directory)' && openssl " + arguments.joined(separator: " ") + " 2>openssl.err"])
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let error = (try? String(contentsOfFile: path("openssl.err"), encoding: .utf8)) ?? ""
            throw TestCertificateError(message: "openssl \(arguments.joined(separator: " ")) failed: \(error)")
        }
    }
}

public struct TestCertificateError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
