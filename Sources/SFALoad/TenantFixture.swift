import Foundation

/// One tenant a run spreads its calls over: the key its calls carry and the records
/// its scenarios refer to. `sfa-load setup` makes them; the keys file holds one per
/// line as JSON (docs/sfa-load.md), and a file written by hand may give only `api_key`.
public struct TenantFixture: Codable, Sendable, Equatable {
    public var tenantId: String
    /// The tenant's name, by which setup finds the tenants it already made.
    public var name: String
    public var apiKey: String
    public var userId: String
    public var leads: [String]
    public var accounts: [String]
    public var opportunities: [String]
    public var pipelineId: String
    /// The pipeline's open stages, in order: where stage moves go.
    public var stages: [String]

    public init(
        tenantId: String = "", name: String = "", apiKey: String, userId: String = "", leads: [String] = [], accounts: [String] = [],
        opportunities: [String] = [], pipelineId: String = "", stages: [String] = []
    ) {
        self.tenantId = tenantId
        self.name = name
        self.apiKey = apiKey
        self.userId = userId
        self.leads = leads
        self.accounts = accounts
        self.opportunities = opportunities
        self.pipelineId = pipelineId
        self.stages = stages
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func text(_ key: CodingKeys) throws -> String { try container.decodeIfPresent(String.self, forKey: key) ?? "" }
        func list(_ key: CodingKeys) throws -> [String] { try container.decodeIfPresent([String].self, forKey: key) ?? [] }
        self.init(
            tenantId: try text(.tenantId), name: try text(.name), apiKey: try container.decode(String.self, forKey: .apiKey),
            userId: try text(.userId), leads: try list(.leads), accounts: try list(.accounts), opportunities: try list(.opportunities),
            pipelineId: try text(.pipelineId), stages: try list(.stages)
        )
    }

    /// The records a body template may name (`{{lead}}`, …).
    enum Field: String, Sendable {
        case tenant, user, pipeline, lead, account, opportunity, stage
    }

    /// The tenant's records of a kind: one value for its tenant, user and pipeline.
    func values(of field: Field) -> [String] {
        switch field {
        case .tenant: [tenantId]
        case .user: [userId]
        case .pipeline: [pipelineId]
        case .lead: leads
        case .account: accounts
        case .opportunity: opportunities
        case .stage: stages
        }
    }

    /// The fixtures of a keys file: one JSON object per line, blank lines skipped.
    public static func read(file path: String) throws -> [TenantFixture] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.enumerated().map { number, line in
            do {
                return try decoder.decode(TenantFixture.self, from: Data(line.utf8))
            } catch {
                throw LoadError("\(path), line \(number + 1): not a tenant (\(error))")
            }
        }
    }

    /// The fixture as one line of a keys file.
    public func line() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// A run cannot start or go on: bad options, a bad keys file, a setup call refused.
public struct LoadError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
