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
            // No fallback turn during a test: only this node's changes and their
            // notifications move the generation, each change twice.
            try await Self.withPostgres(url: url, fallbackInterval: .seconds(3600)) { controlPlane in
                // The listener reports once as it starts; from then on no notification is missed.
                for _ in 0..<1000 where controlPlane.accessGeneration == 0 { try await Task.sleep(for: .milliseconds(10)) }
                try #require(controlPlane.accessGeneration > 0, "the control plane never listened")
                try await body(controlPlane)
            }
        }
    }

    /// Waits (bounded) until the generation has moved for `changes` changes of access
    /// made since it was `start`: once as each commits, and on PostgreSQL once more as
    /// its notification comes back; after that nothing moves it until the next change.
    func awaitSettled(_ controlPlane: ControlPlane, changes: UInt64, since start: UInt64) async throws {
        let expected = start + changes * (self == .postgres ? 2 : 1)
        for _ in 0..<1000 where controlPlane.accessGeneration < expected { try await Task.sleep(for: .milliseconds(10)) }
        try #require(controlPlane.accessGeneration == expected, "the notifications of \(changes) changes did not all come back")
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
