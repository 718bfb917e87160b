import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Every method of the API × every role, over the real server: the permission table
/// says allow or deny, and the server must agree.
@Suite struct RoleMatrixTests {
    static let roles: [Role] = [.admin, .manager, .rep, .marketing, .insideSales, .partner, .viewer, .operator]

    @Test func everyMethodOfTheDescriptorsHasAPermissionEntry() {
        #expect(SFAServiceRegistry.allMethods.count >= 114)
        let missing = SFAServiceRegistry.allMethods.map(\.fullName).filter { PermissionTable.grants[$0] == nil }
        #expect(missing.isEmpty, "methods without a permission entry: \(missing)")
        let stale = Set(PermissionTable.grants.keys).subtracting(SFAServiceRegistry.allMethods.map(\.fullName))
        #expect(stale.isEmpty, "entries for methods that do not exist: \(stale)")
    }

    @Test func aMethodWithoutAnEntryIsRefused() {
        for role in Self.roles {
            #expect(PermissionTable.scope(of: role, for: "/sfa.v1.LeadService/NoSuchMethod") == nil)
        }
    }

    @Test func theServerAllowsAndDeniesExactlyAsTheTableSays() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Matrix")
            var mismatches: [String] = []
            for role in Self.roles {
                let key = role == .operator ? stack.operatorKey : tenant.keys[role]!
                let client = stack.client(key)
                for method in SFAServiceRegistry.allMethods {
                    let status = await call(method, on: client)
                    let allowed = PermissionTable.scope(of: role, for: method.fullName) != nil
                    let refused = status == .permissionDenied || status == .unauthenticated
                    if allowed == refused {
                        mismatches.append("\(role) \(method.fullName): \(status.map { "\($0)" } ?? "OK")")
                    }
                }
                await client.close()
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
        }
    }

    /// Calls `method` with an empty request of its input type; returns the status.
    private func call(_ method: MethodDescriptor, on client: RPCClient) async -> StatusCode? {
        let types = SFAMessageRegistry.allMessageTypes
        guard let input = types.first(where: { $0.protoName == method.inputType }),
            let output = types.first(where: { $0.protoName == method.outputType })
        else {
            Issue.record("no Swift type for \(method)")
            return .unknown
        }
        return await call(method, input, output, on: client)
    }

    private func call<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        _: Request.Type,
        _: Response.Type,
        on client: RPCClient
    ) async -> StatusCode? {
        await statusOf { try await client.unary(method, request: Request(), responseType: Response.self, options: CallOptions()) }
    }
}
