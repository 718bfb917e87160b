import ArgumentParser
import CProtobufC
import SFAMessages
import SFAProtoJSON
import SFARPC
import SFAStubs

/// `sfactl describe NAME`: the shape of a message, enum, service or method, from the
/// protobuf-c descriptors compiled into sfactl (no server needed).
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a message's fields, an enum's values, or a service's methods (offline).",
        discussion: """
            NAME is a full name (sfa.v1.Lead) or a name in sfa.v1 (Lead). A message shows each \
            field's name, number, type and label (singular, repeated, map) and its oneof; an enum \
            its values; a service or a method (Service/Method) its request and reply types. \
            Read from the descriptors built into sfactl, so it needs no server (the connection \
            options are ignored); --json prints the same as JSON.
            """
    )

    @Argument(help: "A message, enum, service or method name, e.g. sfa.v1.CreateUserRequest.")
    var name: String

    /// Only --json matters here; the connection options are accepted and ignored.
    @OptionGroup var global: GlobalOptions

    private var json: Bool { global.json }

    func run() throws {
        do {
            try describe()
        } catch {
            throw ErrorReporter(secret: nil).report(error)
        }
    }

    private func describe() throws {
        if let message = DescriptorRegistry.message(named: name) {
            describeMessage(message)
        } else if let enumeration = DescriptorRegistry.enumeration(named: name) {
            describeEnum(enumeration)
        } else if let service = DescriptorRegistry.service(named: name) {
            let serviceName = String(cString: service.pointee.name)
            describeMethods(SFAServiceRegistry.allMethods.filter { $0.service == serviceName }, title: "service \(serviceName)")
        } else if name.contains("/") {
            let method = try MethodLookup.method(named: name)
            describeMethods([method], title: "method \(method.fullName)")
        } else {
            throw CLIError("no message, enum, service or method named \(name)")
        }
    }

    private func describeMessage(_ descriptor: DescriptorRegistry.MessageDescriptor) {
        let messageName = String(cString: descriptor.pointee.name)
        let oneofs = SFAMessageRegistry.oneofNames[messageName] ?? [:]
        let fields = UnsafeBufferPointer(start: descriptor.pointee.fields, count: Int(descriptor.pointee.n_fields))
        let rows = fields.map { field -> (name: String, number: UInt32, type: String, label: String, oneof: String) in
            var type = field.typeDisplayName
            var label = field.isRepeated ? "repeated" : "singular"
            if let entry = field.messageDescriptor, DescriptorRegistry.isMapEntry(entry) {
                type = "map<\(entry.pointee.fields[0].typeDisplayName), \(entry.pointee.fields[1].typeDisplayName)>"
                label = "map"
            } else if field.label == PROTOBUF_C_LABEL_OPTIONAL, !field.isOneofMember {
                label = "optional"
            }
            return (field.protoName, field.id, type, label, oneofs[field.protoName] ?? "")
        }
        if json {
            let value = JSONValue.object([
                ("name", .string(messageName)),
                ("kind", .string("message")),
                ("fields", .array(rows.map { row in
                    var members: [(key: String, value: JSONValue)] = [
                        ("name", .string(row.name)),
                        ("number", .number(String(row.number))),
                        ("type", .string(row.type)),
                        ("label", .string(row.label)),
                    ]
                    if !row.oneof.isEmpty { members.append(("oneof", .string(row.oneof))) }
                    return .object(members)
                })),
            ])
            print(value.serialized())
            return
        }
        print("message \(messageName)")
        guard !rows.isEmpty else { print("  (no fields)"); return }
        var table = Table("FIELD", "NUMBER", "TYPE", "LABEL", "ONEOF")
        for row in rows {
            table.add(row.name, String(row.number), row.type, row.label, row.oneof.isEmpty ? "-" : row.oneof)
        }
        table.print()
    }

    private func describeEnum(_ descriptor: DescriptorRegistry.EnumDescriptor) {
        let enumName = String(cString: descriptor.pointee.name)
        let values = UnsafeBufferPointer(start: descriptor.pointee.values, count: Int(descriptor.pointee.n_values))
        if json {
            let value = JSONValue.object([
                ("name", .string(enumName)),
                ("kind", .string("enum")),
                ("values", .array(values.map { value in
                    .object([("name", .string(String(cString: value.name))), ("number", .number(String(value.value)))])
                })),
            ])
            print(value.serialized())
            return
        }
        print("enum \(enumName)")
        var table = Table("VALUE", "NUMBER")
        for value in values { table.add(String(cString: value.name), String(value.value)) }
        table.print()
    }

    private func describeMethods(_ methods: [MethodDescriptor], title: String) {
        if json {
            print(JSONValue.array(methods.map { method in
                .object([
                    ("full_method", .string(method.fullName)),
                    ("input_type", .string(method.inputType)),
                    ("output_type", .string(method.outputType)),
                    ("idempotent", .bool(method.isIdempotent)),
                ])
            }).serialized())
            return
        }
        print(title)
        var table = Table("METHOD", "REQUEST", "REPLY", "IDEMPOTENT")
        for method in methods {
            table.add(method.fullName, method.inputType, method.outputType, method.isIdempotent ? "yes" : "no")
        }
        table.print()
    }
}
