import SFAClient
import SFAServices
import SFAStubs
import Testing

/// Every method of the API × every role, and × keys narrowed to viewer, over the real
/// server: the permission table says allow or deny, and the server must agree.
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
                mismatches += await self.mismatches(key, "\(role)", stack) { PermissionTable.scope(of: role, for: $0) }
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
        }
    }

    /// Users whose keys may be narrowed to viewer, one of each kind of scope the
    /// narrowing meets: own (rep), own as records created (partner), team (manager).
    static let narrowedUserRoles: [Role] = [.rep, .partner, .manager]

    @Test func aNarrowedKeyMayCallOnlyWhatBothRolesMayWithTheNarrowerScope() {
        for method in PermissionTable.grants.keys {
            for role in Self.roles {
                let narrowed = PermissionTable.scope(of: role, narrowedTo: .viewer, for: method)
                switch (PermissionTable.scope(of: role, for: method), PermissionTable.scope(of: .viewer, for: method)) {
                case (let user?, let viewer?): #expect(narrowed == min(user, viewer), "\(role) \(method)")
                default: #expect(narrowed == nil, "\(role) \(method)")
                }
            }
        }
    }

    @Test func theServerAllowsAndDeniesNarrowedKeysExactlyAsTheTableSays() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Narrowed Matrix")
            let admin = stack.admin(tenant.keys[.admin])
            var mismatches: [String] = []
            for role in Self.narrowedUserRoles {
                let issued = try await admin.issueApiKey(IssueApiKeyRequest(userId: tenant.users[role]!.id, role: .viewer))
                let key = issued.secret
                mismatches += await self.mismatches(key, "viewer key of \(role)", stack) {
                    PermissionTable.scope(of: role, narrowedTo: .viewer, for: $0)
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
        }
    }

    @Test func aBootstrapKeyReachesOnlyUserAndKeyManagement() async throws {
        try await withStack { stack in
            let tenant = try await stack.makeTenant("Bootstrap Matrix")
            let mismatches = await self.mismatches(tenant.bootstrapKey, "bootstrap key", stack) { method in
                PermissionTable.bootstrapKeyMayCall(method) ? PermissionTable.scope(of: .admin, for: method) : nil
            }
            #expect(!PermissionTable.bootstrapKeyMayCall(AdminServiceMethods.exportTenant.fullName), "a bootstrap key would reach business data")
            #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
        }
    }

    /// Asks the server what `key` may call (ListAllowedMethods), then calls every
    /// method of the API with it; returns where the answer, the calls and `scope`
    /// (nil: denied) disagree.
    private func mismatches(
        _ key: String,
        _ label: String,
        _ stack: TestStack,
        scope: (String) -> RecordScope?
    ) async -> [String] {
        let client = stack.client(key)
        var mismatches: [String] = []
        do {
            let listed = try await ReflectionServiceClient(client).listAllowedMethods(ListAllowedMethodsRequest()).methods
            let told = Dictionary(listed.map { ($0.fullMethod, $0.scope) }, uniquingKeysWith: { first, _ in first })
            for method in SFAServiceRegistry.allMethods {
                let expected = scope(method.fullName).map(AccessScope.init)
                if told[method.fullName] != expected {
                    mismatches.append("\(label) \(method.fullName): listed as \(told[method.fullName].map { "\($0)" } ?? "absent")")
                }
            }
            let unknown = Set(told.keys).subtracting(SFAServiceRegistry.allMethods.map(\.fullName))
            if !unknown.isEmpty { mismatches.append("\(label): listed methods not in the API: \(unknown.sorted())") }
        } catch {
            mismatches.append("\(label): ListAllowedMethods failed: \(error)")
        }
        for method in SFAServiceRegistry.allMethods {
            let status = await call(method, on: client)
            let allowed = scope(method.fullName) != nil
            let refused = status == .permissionDenied || status == .unauthenticated
            if allowed == refused {
                mismatches.append("\(label) \(method.fullName): \(status.map { "\($0)" } ?? "OK")")
            }
        }
        await client.close()
        return mismatches
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

extension AccessScope {
    /// What the server lists for a scope of the permission table.
    init(_ scope: RecordScope) {
        switch scope {
        case .own: self = .own
        case .team: self = .team
        case .all: self = .all
        }
    }
}
