public import SFARPC

/// What a run calls: steps picked at random by weight, each one call (or a short
/// sequence a client would make together) to one tenant.
public struct Scenario: Sendable {
    public var name: String
    public var steps: [Step]
    private let totalWeight: Int

    public init(name: String, steps: [Step]) throws {
        guard !steps.isEmpty, steps.allSatisfy({ $0.weight > 0 }) else { throw LoadError("a scenario needs steps of positive weight") }
        self.name = name
        self.steps = steps
        totalWeight = steps.reduce(0) { $0 + $1.weight }
    }

    /// One step, with probability weight / total weight.
    public func pick(using random: inout RandomSource) -> Step {
        var ticket = Int.random(in: 0..<totalWeight, using: &random)
        for step in steps {
            if ticket < step.weight { return step }
            ticket -= step.weight
        }
        return steps[steps.count - 1]
    }

    /// One method with a JSON body template (see ``BodyTemplate``).
    public static func method(_ name: String, body: String) throws -> Scenario {
        let step = try TemplateStep.make(name: nil, weight: 1, method: name, body: body)
        return try Scenario(name: step.name, steps: [step])
    }

    /// The scenarios with a name: `sales-day` (``SalesDay``).
    public static func named(_ name: String) throws -> Scenario {
        switch name {
        case "sales-day": return try SalesDay.scenario()
        default: throw LoadError("unknown scenario \(name); the named ones: sales-day")
        }
    }
}

/// One kind of call in a scenario.
public struct Step: Sendable {
    /// The name its calls are reported under, usually the method's.
    public var name: String
    public var weight: Int
    /// Makes the call; throws what the server answered when it failed.
    public var call: @Sendable (StepCall, inout RandomSource) async throws -> Void

    public init(name: String, weight: Int, call: @escaping @Sendable (StepCall, inout RandomSource) async throws -> Void) {
        self.name = name
        self.weight = weight
        self.call = call
    }
}

/// What a step's call goes through and to whom.
public struct StepCall: Sendable {
    public var caller: any RPCCaller
    /// The deadline and the tenant's key.
    public var options: CallOptions
    public var tenant: TenantFixture
    /// The call's number in the run, for unique values.
    public var sequence: Int
    /// True when the run has an observer (``LoadReply``): the step must call with its
    /// messages' own types, which the observer is shown, not with their bytes.
    public var observed: Bool
}
