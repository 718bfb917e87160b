import SFAClient
import SFAMessages
import SFARPC
import SFAReflection
import SFAStubs

/// Where `list` and `describe` read the API from: the server's ReflectionService
/// (the default, so that a server newer than sfactl shows its own API), or with
/// `--offline` the descriptors compiled into sfactl — the same answers, made by the
/// same code the server runs (`DescriptorReflection`).
enum ReflectionSource {
    case server(ReflectionServiceClient, CallOptions)
    case offline

    func services() async throws -> [ServiceInfo] {
        switch self {
        case .server(let client, let options): try await client.listServices(ListServicesRequest(), options: options).services
        case .offline: DescriptorReflection.services()
        }
    }

    /// A message by full name or by its name in `sfa.v1`; `nil` when there is none.
    func message(_ name: String) async throws -> DescribeMessageResponse? {
        for candidate in Self.candidates(name) {
            let found: DescribeMessageResponse?
            switch self {
            case .server(let client, let options):
                found = try await Self.unlessUnknown { try await client.describeMessage(DescribeMessageRequest(messageType: candidate), options: options) }
            case .offline: found = DescriptorReflection.message(named: candidate)
            }
            if let found { return found }
        }
        return nil
    }

    /// An enum by full name or by its name in `sfa.v1`; `nil` when there is none.
    func enumeration(_ name: String) async throws -> DescribeEnumResponse? {
        for candidate in Self.candidates(name) {
            let found: DescribeEnumResponse?
            switch self {
            case .server(let client, let options):
                found = try await Self.unlessUnknown { try await client.describeEnum(DescribeEnumRequest(enumType: candidate), options: options) }
            case .offline: found = DescriptorReflection.enumeration(named: candidate)
            }
            if let found { return found }
        }
        return nil
    }

    /// The service a user named (`sfa.v1.LeadService` or `LeadService`), case-insensitively.
    func service(_ name: String, in services: [ServiceInfo]) -> ServiceInfo? {
        let wanted = Set(Self.candidates(name).map { $0.lowercased() })
        return services.first { wanted.contains($0.name.lowercased()) }
    }

    private static func candidates(_ name: String) -> [String] {
        let trimmed = name.hasPrefix(".") ? String(name.dropFirst()) : name
        return trimmed.hasPrefix("sfa.") ? [trimmed] : [trimmed, "sfa.v1." + trimmed]
    }

    /// The answer, or `nil` when the server says the type does not exist
    /// (INVALID_ARGUMENT with a `NOT_FOUND` violation).
    private static func unlessUnknown<T>(_ call: () async throws -> T) async throws -> T? {
        do {
            return try await call()
        } catch let error as RPCError where error.code == .invalidArgument && error.details.fieldViolations.contains(where: { $0.reason == ViolationReason.notFound.rawValue }) {
            return nil
        }
    }
}

extension GlobalOptions {
    /// Runs `body` with the server's reflection, or offline with sfactl's own descriptors.
    func withReflection(offline: Bool, _ body: (ReflectionSource) async throws -> Void) async throws {
        if offline {
            do {
                try await body(.offline)
            } catch {
                throw errorReporter.report(error)
            }
        } else {
            let options = callOptions
            try await withClient { client in try await body(.server(ReflectionServiceClient(client), options)) }
        }
    }
}
