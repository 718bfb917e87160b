import ArgumentParser
import SFAMessages
import SFAProtoJSON

/// `sfactl describe NAME`: the shape of a message, enum, service or method, from the
/// server's ReflectionService (like `grpcurl describe`), or offline from sfactl's own
/// descriptors; `--template` prints a request skeleton.
struct Describe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a message's fields, an enum's values, or a service's methods (ReflectionService).",
        discussion: """
            NAME is a full name (sfa.v1.Lead) or a name in sfa.v1 (Lead), a service, or a method \
            (Service/Method). A message shows each field's name, number, type and label (singular, \
            repeated, map) and its oneof; an enum its values; a service or method its request and \
            reply types. --template prints a JSON request for a message or a method, every field at \
            its default, ready to edit and pass to 'sfactl call'. Asks the server, so a server newer \
            than sfactl shows its own API; --offline reads the descriptors built into sfactl.
            """
    )

    @Argument(help: "A message, enum, service or method name, e.g. sfa.v1.CreateUserRequest or LeadService/GetLead.")
    var name: String

    @Flag(help: "Print a JSON request template for the message (or the method's request) instead.")
    var template = false

    @Flag(help: "Read the API compiled into sfactl; ask no server.")
    var offline = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withReflection(offline: offline) { source in
            if let method = try await self.method(in: source) {
                guard template else {
                    Self.printMethods([method], title: "method \(method.fullMethod)", json: global.json)
                    return
                }
                guard let input = try await source.message(method.inputType) else { throw CLIError("no message named \(method.inputType)") }
                print(try await RequestTemplate(source: source).json(for: input).serialized())
            } else if let message = try await source.message(name) {
                if template {
                    print(try await RequestTemplate(source: source).json(for: message).serialized())
                } else {
                    try await printMessage(message, source: source)
                }
            } else if template {
                throw CLIError("--template takes a message or a method, and \(name) is neither")
            } else if let enumeration = try await source.enumeration(name) {
                printEnum(enumeration)
            } else if let service = source.service(name, in: try await source.services()) {
                Self.printMethods(service.methods, title: "service \(service.name)", json: global.json)
            } else {
                throw CLIError("no message, enum, service or method named \(name)")
            }
        }
    }

    /// The method `name` names (`Service/Method`, with or without the package and a leading slash).
    private func method(in source: ReflectionSource) async throws -> MethodInfo? {
        var text = name
        if text.hasPrefix("/") { text.removeFirst() }
        guard let slash = text.lastIndex(of: "/") else { return nil }
        let methodName = text[text.index(after: slash)...].lowercased()
        guard let service = source.service(String(text[..<slash]), in: try await source.services()) else { return nil }
        return service.methods.first { $0.name.lowercased() == methodName }
    }

    private func printMessage(_ message: DescribeMessageResponse, source: ReflectionSource) async throws {
        var rows: [(name: String, number: UInt32, type: String, label: String, oneof: String)] = []
        for field in message.fields {
            var type = field.typeName.isEmpty ? Self.scalarName(field.kind) : field.typeName
            var label = field.label == .repeated ? "repeated" : "singular"
            if field.isMap, let entry = try await source.message(field.typeName), entry.fields.count == 2 {
                let parts = entry.fields.map { $0.typeName.isEmpty ? Self.scalarName($0.kind) : $0.typeName }
                type = "map<\(parts[0]), \(parts[1])>"
                label = "map"
            }
            rows.append((field.name, field.number, type, label, field.oneofName))
        }
        if global.json {
            print(JSONValue.object([
                ("name", .string(message.name)),
                ("kind", .string("message")),
                ("fields", .array(rows.map { row in
                    var members: [(key: String, value: JSONValue)] = [
                        ("name", .string(row.name)), ("number", .number(String(row.number))),
                        ("type", .string(row.type)), ("label", .string(row.label)),
                    ]
                    if !row.oneof.isEmpty { members.append(("oneof", .string(row.oneof))) }
                    return .object(members)
                })),
            ]).serialized())
            return
        }
        print("message \(message.name)")
        guard !rows.isEmpty else { print("  (no fields)"); return }
        var table = Table("FIELD", "NUMBER", "TYPE", "LABEL", "ONEOF")
        for row in rows { table.add(row.name, String(row.number), row.type, row.label, row.oneof.isEmpty ? "-" : row.oneof) }
        table.print()
    }

    private func printEnum(_ enumeration: DescribeEnumResponse) {
        if global.json {
            print(JSONValue.object([
                ("name", .string(enumeration.name)),
                ("kind", .string("enum")),
                ("values", .array(enumeration.values.map { .object([("name", .string($0.name)), ("number", .number(String($0.number)))]) })),
            ]).serialized())
            return
        }
        print("enum \(enumeration.name)")
        var table = Table("VALUE", "NUMBER")
        for value in enumeration.values { table.add(value.name, String(value.number)) }
        table.print()
    }

    /// Methods with their request and reply types, as a table or JSON.
    static func printMethods(_ methods: [MethodInfo], title: String, json: Bool) {
        if json {
            print(JSONValue.array(methods.map { method in
                .object([
                    ("full_method", .string(method.fullMethod)),
                    ("input_type", .string(method.inputType)),
                    ("output_type", .string(method.outputType)),
                ])
            }).serialized())
            return
        }
        print(title)
        var table = Table("METHOD", "REQUEST", "REPLY")
        for method in methods { table.add(method.fullMethod, method.inputType, method.outputType) }
        table.print()
    }

    /// The .proto name of a scalar kind (`int64`, `string`, …).
    private static func scalarName(_ kind: FieldKind) -> String {
        switch kind {
        case .double: "double"
        case .float: "float"
        case .int64: "int64"
        case .uint64: "uint64"
        case .int32: "int32"
        case .fixed64: "fixed64"
        case .fixed32: "fixed32"
        case .bool: "bool"
        case .string: "string"
        case .bytes: "bytes"
        case .uint32: "uint32"
        case .sfixed32: "sfixed32"
        case .sfixed64: "sfixed64"
        case .sint32: "sint32"
        case .sint64: "sint64"
        default: "?"
        }
    }
}
