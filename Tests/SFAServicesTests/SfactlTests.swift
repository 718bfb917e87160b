import Foundation
import Logging
import SFAProtoJSON
import SFAServer
import Testing

/// `sfactl` against a real server, as grpcurl users use it: list and describe from the
/// server's reflection, request templates, errors as JSON, metadata on every command.
@Suite struct SfactlTests {
    private func sfactl(_ arguments: String, _ stack: TestStack, key: String? = nil) async throws -> ShellResult {
        try await runShell("SFACTL --port \(stack.port) \(arguments)", environment: ["SFA_API_KEY": key ?? stack.operatorKey])
    }

    @Test func listAndDescribeAnswerFromTheServerAsOfflineFromSfactl() async throws {
        try await withStack { stack in
            let list = try await sfactl("list", stack)
            #expect(list.status == 0)
            #expect(list.output.split(separator: "\n").contains("sfa.v1.LeadService"))
            #expect(try await sfactl("list LeadService", stack).output.contains("/sfa.v1.LeadService/ImportLeads"))
            for name in ["Lead", "sfa.v1.TenantStatus", "AdminService", "LeadService/GetLead", "sfa.v1.CreateUserRequest"] {
                let online = try await sfactl("describe \(name) --json", stack)
                #expect(online.status == 0, "\(name): \(online.error)")
                // A server unreachable on purpose: offline needs none.
                let offline = try await runShell("SFACTL --port 1 describe \(name) --json --offline")
                #expect(online.output == offline.output, "\(name): the server and sfactl describe it differently")
            }
            let lead = try JSONValue.parse(try await sfactl("describe Lead --json", stack).output)
            guard case .array(let fields)? = lead["fields"] else { Issue.record("no fields: \(lead)"); return }
            #expect(fields.contains { $0["name"] == .string("owner_user_id") && $0["type"] == .string("string") })
            #expect(fields.contains { $0["name"] == .string("custom_fields") && $0["label"] == .string("map") })
        }
    }

    @Test func aRequestTemplateIsARequestCallAccepts() async throws {
        try await withStack { stack in
            for method in ["AdminService/CreateUser", "LeadService/ImportLeads", "LeadService/ListLeads", "SettingsService/UpdateTeam", "QuoteService/CreateQuote"] {
                let result = try await runShell("SFACTL --port \(stack.port) describe --template \(method) | SFACTL call \(method) --dry-run -")
                #expect(result.status == 0, "\(method): \(result.error)")
                #expect(result.output.hasPrefix("{"), "\(method): \(result.output)")
            }
        }
    }

    @Test func errorsAreJSONUnderJSONAndNeverShowTheKey() async throws {
        try await withStack { stack in
            let missing = try await sfactl("--json tenants get ten_01jd3k4m5n6p7q8r9s0t1v2w3x", stack)
            #expect(missing.status == 1)
            let error = try JSONValue.parse(missing.error)
            #expect(error["status"] == .string("NOT_FOUND") && error["code"] == .number("5"))
            #expect(error["details"]?["reason"] != nil)

            let forged = String(stack.operatorKey.dropLast(4)) + "beef"
            let refused = try await sfactl("tenants list --json", stack, key: forged)
            #expect(refused.status == 1)
            #expect(try JSONValue.parse(refused.error)["status"] == .string("UNAUTHENTICATED"))
            #expect(!refused.error.contains(forged) && !refused.output.contains(forged))

            let local = try await sfactl("call Nope/Nope '{}' --json", stack)
            #expect(local.status == 2)
            #expect(try JSONValue.parse(local.error)["status"] == .string("LOCAL_ERROR"))
        }
    }

    @Test func metadataGoesWithEveryCommand() async throws {
        let capture = LineCapture()
        let logger = Logger(label: "sfad") { label in LogFormat.text.handler(label: label, level: .info, stream: capture) }
        let stack = try await TestStack.start(logger: logger, callLogLevel: .info)
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        do {
            for command in ["tenants list", "health", "stats server", "call HealthService/Check '{}'"] {
                let result = try await sfactl("\(command) --metadata traceparent=\(traceparent)", stack)
                #expect(result.status == 0, "\(command): \(result.error)")
            }
            await stack.stop()
            let traced = capture.lines.filter { $0.contains("call finished") && $0.contains(traceparent) }
            for method in ["ListTenants", "HealthService/Check", "GetServerStats"] {
                #expect(traced.contains { $0.contains(method) }, "\(method) came without its metadata")
            }
            #expect(traced.count == 4)
        } catch {
            await stack.stop()
            throw error
        }
    }
}
