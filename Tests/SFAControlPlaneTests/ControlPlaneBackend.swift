import Foundation
import Logging
import SFAControlPlanePostgres
import SFAStorage
import SFATestSupport
import Testing

/// A control-plane backend the contract runs against.
enum ControlPlaneBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// SQLite always; PostgreSQL where Debian's server is installed (else
    /// `PostgresBackendTests` reports the skip and why).
    static var available: [ControlPlaneBackend] { PostgresTestServer.isInstalled ? allCases : [.sqlite] }

    var testDescription: String { rawValue }

    /// Runs `body` with a new, empty, migrated control plane on this backend.
    func withControlPlane(_ body: (ControlPlane) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "sfa-cp-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await body(try ControlPlane(storage: StorageConfiguration(dataDirectory: directory)))
        case .postgres:
            let url = try await Self.postgresDatabase()
            try await Self.withPostgres(url: url, body)
        }
    }

    /// A new database on the test process's PostgreSQL server.
    static func postgresDatabase() async throws -> String {
        let server = try #require(try await PostgresTestServer.shared(), "\(PostgresTestServer.absentMessage)")
        return try await server.database()
    }

    /// Runs `body` with a control plane on the PostgreSQL database at `url`, its
    /// connections and notifications running meanwhile.
    static func withPostgres(
        url: String,
        fallbackInterval: Duration = .seconds(30),
        _ body: (ControlPlane) async throws -> Void
    ) async throws {
        let store = try PostgresControlPlaneStore(url: url, fallbackInterval: fallbackInterval, logger: Logger(label: "test.control-plane"))
        let controlPlane = ControlPlane(store: store)
        let running = Task { try await controlPlane.run() }
        defer { running.cancel() }
        try await controlPlane.migrate()
        try await body(controlPlane)
    }
}
