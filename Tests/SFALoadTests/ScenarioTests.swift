import SFALoad
import SFAProtoJSON
import Testing

@Suite struct ScenarioTests {
    let tenant = TenantFixture(tenantId: "ten_1", apiKey: "k", userId: "usr_1", leads: ["led_1", "led_2"])

    @Test func placeholdersAreFilledAfreshForEveryCall() throws {
        let template = try BodyTemplate(#"{"id": "{{lead}}", "n": {{seq}}, "x": {{int 5 5}}, "k": "{{pick a}}", "d": "{{date +1}}"}"#)
        var random = RandomSource(seed: 7)
        let body = try template.render(sequence: 41, tenant: tenant, random: &random).serialized(pretty: false)
        #expect(body.hasPrefix(#"{"id":"led_"#))
        #expect(body.contains(#""n":41,"x":5,"k":"a","d":"20"#))
        #expect(!template.isConstant)
        #expect(try BodyTemplate(#"{"page_size": 20}"#).isConstant)
    }

    @Test func aGeneratorInAStringAddsTextAndOneOutsideIsJSON() throws {
        let template = try BodyTemplate(
            #"{"s": "Lead {{seq}} of {{pick a"b}} \"{{seq}}\"", "list": [{{int 7 7}}, "{{lead}}", true], "n": -1{{int 2 2}}, "b": {{pick false}}, "x": {{pick null}}}"#
        )
        var random = RandomSource(seed: 1)
        let values = try template.values(sequence: 3, tenant: tenant, random: &random)
        #expect(values.count == 8)
        let body = try template.body(values)
        // Worked out by hand: a quote a generator makes stays inside its string.
        #expect(
            body
                == .object([
                    ("s", .string(#"Lead 3 of a"b "3""#)),
                    ("list", .array([.number("7"), .string(values[4]), .bool(true)])),
                    ("n", .number("-12")),
                    ("b", .bool(false)),
                    ("x", .null),
                ])
        )
        #expect(["led_1", "led_2"].contains(values[4]))
        #expect(template.isBounded == false)
        #expect(try BodyTemplate(#"{"id": "{{lead}}", "k": {{pick 1|2}}}"#).isBounded)
    }

    @Test func aGeneratorInAQuotedKeyNamesAMapEntry() throws {
        let template = try BodyTemplate(#"{"custom_fields": {"cf_{{seq}}": "{{pick x}}", "fixed": "y"}}"#)
        var random = RandomSource(seed: 1)
        #expect(
            try template.render(sequence: 4, tenant: tenant, random: &random)
                == .object([("custom_fields", .object([("cf_4", .string("x")), ("fixed", .string("y"))]))])
        )
    }

    @Test func aQuoteFollowedByACombiningMarkStillOpensAString() throws {
        // One grapheme, two scalars: the JSON parser reads the quote, and so must the template.
        let template = try BodyTemplate("{\"s\": \"\u{301}{{seq}}\"}")
        var random = RandomSource(seed: 1)
        #expect(try template.render(sequence: 5, tenant: tenant, random: &random) == .object([("s", .string("\u{301}5"))]))
    }

    @Test func aTemplateThatIsNotJSONOrUsesTheReservedCharactersIsRefusedWhenMade() {
        #expect(throws: LoadError.self) { try BodyTemplate(#"{"id": "{{lead}}""#) }
        #expect(throws: LoadError.self) { try BodyTemplate(#"{"id" "{{lead}}"}"#) }
        #expect(throws: LoadError.self) { try BodyTemplate(#"{"n": {{int 1 2}}"#) }
        // A generator outside quotes cannot be a key.
        #expect(throws: LoadError.self) { try BodyTemplate(#"{ {{word}}: 1 }"#) }
        // The markers' characters, written or escaped, whether or not they look like a marker.
        #expect(throws: LoadError.self) { try BodyTemplate("{\"note\": \"\u{E000}0\u{E002}\"}") }
        #expect(throws: LoadError.self) { try BodyTemplate(#"{"note": "\uE0009\uE002"}"#) }
        #expect(throws: LoadError.self) { try BodyTemplate(#"{"note": "\uE000-1\uE002"}"#) }
        #expect(throws: LoadError.self) { try BodyTemplate(#"{"n": {{int 1 2}}, "m": "\uE0010\uE002"}"#) }
        #expect(throws: LoadError.self) { try BodyTemplate(#"{"s": "{{seq}}", "t": "\uE0000\uE002"}"#) }
    }

    @Test func aGeneratorOutsideQuotesThatMakesNoJSONFailsTheCall() throws {
        let template = try BodyTemplate(#"{"n": {{word}}}"#)
        var random = RandomSource(seed: 1)
        #expect(throws: LoadError.self) { try template.render(sequence: 0, tenant: tenant, random: &random) }
    }

    @Test func anUnknownGeneratorIsRefusedBeforeAnyCall() {
        #expect(throws: LoadError.self) { try BodyTemplate("{{nonsense}}") }
        #expect(throws: LoadError.self) { try Scenario.method("LeadService/GetLead", body: #"{"no_such_field": 1}"#) }
        #expect(throws: LoadError.self) { try Scenario.method("LeadService/NoSuchMethod", body: "{}") }
    }

    @Test func aRecordTheTenantLacksFailsTheCallNotTheRun() throws {
        var random = RandomSource(seed: 1)
        #expect(throws: LoadError.self) { try BodyTemplate("{{account}}").render(sequence: 0, tenant: tenant, random: &random) }
    }

    @Test func theSalesDayMixesReadsAndWritesOfEveryServiceThatExists() throws {
        let names = Set(try Scenario.named("sales-day").steps.map(\.name))
        #expect(names.isSuperset(of: ["GetLead", "CreateLead", "CreateActivity", "CreateConsultation", "MoveOpportunityStage", "CreateQuote"]))
    }

    @Test func zipfPicksTheFirstTenantsMostAndUniformAllAlike() {
        var random = RandomSource(seed: 3)
        let zipf = TenantPicker(count: 1000, skew: .zipf(exponent: 1))
        var counts = [Int](repeating: 0, count: 1000)
        for _ in 0..<20_000 { counts[zipf.pick(using: &random)] += 1 }
        #expect(counts[0] > counts[9] && counts[9] > counts[999])
        let uniform = TenantPicker(count: 4, skew: .uniform)
        var seen = Set<Int>()
        for _ in 0..<200 { seen.insert(uniform.pick(using: &random)) }
        #expect(seen == [0, 1, 2, 3])
        #expect(TenantSkew("zipf:1.2") == .zipf(exponent: 1.2) && TenantSkew("zipf") == .zipf(exponent: 1) && TenantSkew("pareto") == nil)
    }
}
