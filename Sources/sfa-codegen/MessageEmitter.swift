/// Writes the Swift value type of one message: its stored properties, initialisers,
/// and the `ProtoMessage` conversions to and from its protobuf-c struct.
struct MessageEmitter {
    let message: DescriptorModel.MessageInfo
    let scanned: ScannedMessage
    let model: DescriptorModel

    /// A Swift stored property and how it maps onto C struct members.
    private enum Property {
        /// A singular scalar, string, bytes or enum field.
        case plain(Field)
        /// A singular message field: optional in Swift, a nullable pointer in C.
        case message(Field)
        case repeated(Field)
        case map(Field, key: ValueType, value: ValueType, entrySymbol: String)
        /// A oneof with one member: an optional property named after the field.
        case optional(Field, oneof: String)
        /// A oneof with several members: an optional enum with one case per member.
        case oneof(name: String, members: [Field])
    }

    private struct Field {
        var info: DescriptorModel.FieldInfo
        var type: ValueType
        var doc: String
        var swiftName: String { SwiftNaming.lowerCamel(info.name) }
    }

    func emit(into out: inout CodeWriter) throws {
        let properties = try makeProperties()
        let name = message.shortName
        out.append(SwiftNaming.docComment(scanned.doc, indent: ""))
        out("public struct \(name): ProtoMessage {")
        out("    public typealias CMessage = \(message.cName)")
        out("    public static var protoName: String { \"\(message.fullName)\" }")
        out("    public static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { \(message.symbol)__descriptor_ref() }")
        for property in properties {
            out()
            declare(property, into: &out)
        }
        out()
        out("    /// A message with every field at its default.")
        out("    public init() {}")
        emitMemberwiseInit(properties, into: &out)
        emitDecoder(properties, into: &out)
        emitEncoder(properties, into: &out)
        emitFieldMask(properties, into: &out)
        out("}")
    }

    private func makeProperties() throws -> [Property] {
        var properties: [Property] = []
        var emittedOneofs: Set<String> = []
        for info in message.fields {
            let field = Field(info: info, type: try ValueType(field: info, model: model), doc: scanned.fieldDocs[info.name] ?? "")
            if info.isOneofMember {
                guard let oneof = scanned.oneofOfField[info.name] else {
                    throw ScanError(description: "\(message.fullName).\(info.name): oneof not found in the .proto source")
                }
                guard emittedOneofs.insert(oneof).inserted else { continue }
                let members = try message.fields.filter { scanned.oneofOfField[$0.name] == oneof }.map {
                    Field(info: $0, type: try ValueType(field: $0, model: model), doc: scanned.fieldDocs[$0.name] ?? "")
                }
                properties.append(members.count == 1 ? .optional(members[0], oneof: oneof) : .oneof(name: oneof, members: members))
            } else if info.isRepeated, case .message = field.type, let entry = mapEntry(info) {
                let key = try ValueType(field: entry.fields[0], model: model)
                let value = try ValueType(field: entry.fields[1], model: model)
                properties.append(.map(field, key: key, value: value, entrySymbol: entry.symbol))
            } else if info.isRepeated {
                properties.append(.repeated(field))
            } else if case .message = field.type {
                properties.append(.message(field))
            } else {
                properties.append(.plain(field))
            }
        }
        return properties
    }

    private func mapEntry(_ field: DescriptorModel.FieldInfo) -> DescriptorModel.MessageInfo? {
        guard let typeName = field.typeName, let entry = model.messages[typeName], entry.isMapEntry else { return nil }
        return entry
    }

    // MARK: Declarations

    private func declare(_ property: Property, into out: inout CodeWriter) {
        switch property {
        case .plain(let field):
            out.append(SwiftNaming.docComment(field.doc, indent: "    "))
            out("    public var \(SwiftNaming.escaped(field.swiftName)): \(field.type.swiftType) = \(field.type.defaultValue)")
        case .message(let field), .optional(let field, _):
            out.append(SwiftNaming.docComment(field.doc, indent: "    "))
            out("    public var \(SwiftNaming.escaped(field.swiftName)): \(field.type.swiftType)? = nil")
        case .repeated(let field):
            out.append(SwiftNaming.docComment(field.doc, indent: "    "))
            out("    public var \(SwiftNaming.escaped(field.swiftName)): [\(field.type.swiftType)] = []")
        case .map(let field, let key, let value, _):
            out.append(SwiftNaming.docComment(field.doc, indent: "    "))
            out("    public var \(SwiftNaming.escaped(field.swiftName)): [\(key.swiftType): \(value.swiftType)] = [:]")
        case .oneof(let name, let members):
            let typeName = SwiftNaming.upperCamel(name)
            out("    /// The `\(name)` oneof: at most one of its members is set.")
            out("    public enum \(typeName): Sendable, Equatable {")
            for member in members {
                out.append(SwiftNaming.docComment(member.doc, indent: "        "))
                out("        case \(SwiftNaming.escaped(member.swiftName))(\(member.type.swiftType))")
            }
            out("    }")
            out()
            out("    public var \(SwiftNaming.escaped(SwiftNaming.lowerCamel(name))): \(typeName)? = nil")
        }
    }

    /// The name, type and default of each initialiser parameter.
    private func parameter(_ property: Property) -> (name: String, type: String, defaultValue: String) {
        switch property {
        case .plain(let field):
            (field.swiftName, field.type.swiftType, field.type.defaultValue)
        case .message(let field), .optional(let field, _):
            (field.swiftName, field.type.swiftType + "?", "nil")
        case .repeated(let field):
            (field.swiftName, "[\(field.type.swiftType)]", "[]")
        case .map(let field, let key, let value, _):
            (field.swiftName, "[\(key.swiftType): \(value.swiftType)]", "[:]")
        case .oneof(let name, _):
            (SwiftNaming.lowerCamel(name), SwiftNaming.upperCamel(name) + "?", "nil")
        }
    }

    private func emitMemberwiseInit(_ properties: [Property], into out: inout CodeWriter) {
        guard !properties.isEmpty else { return }
        out()
        out("    /// A message with the given fields; the others keep their defaults.")
        out("    public init(")
        for (index, property) in properties.enumerated() {
            let (name, type, defaultValue) = parameter(property)
            let comma = index == properties.count - 1 ? "" : ","
            out("        \(SwiftNaming.escaped(name)): \(type) = \(defaultValue)\(comma)")
        }
        out("    ) {")
        for property in properties {
            let name = parameter(property).name
            out("        self.\(name) = \(SwiftNaming.escaped(name))")
        }
        out("    }")
    }

    // MARK: C struct → Swift

    private func emitDecoder(_ properties: [Property], into out: inout CodeWriter) {
        out()
        out("    public init(cMessage c: UnsafePointer<\(message.cName)>) {")
        for property in properties {
            switch property {
            case .plain(let field):
                out("        self.\(field.swiftName) = \(field.type.decode("c.pointee.\(field.info.name)"))")
            case .message(let field):
                out("        self.\(field.swiftName) = c.pointee.\(field.info.name).map { \(field.type.swiftType)(cMessage: $0) }")
            case .repeated(let field):
                let member = field.info.name
                out("        self.\(field.swiftName) = \(field.type.decodeArray(count: "c.pointee.n_\(member)", elements: "c.pointee.\(member)"))")
            case .map(let field, let key, let value, _):
                let member = field.info.name
                out("        self.\(field.swiftName) = ProtoDecoding.map(c.pointee.n_\(member), c.pointee.\(member)) { entry in")
                out("            (\(key.decode("entry.pointee.key")), \(value.decode("entry.pointee.value")))")
                out("        }")
            case .optional(let field, let oneof):
                out("        self.\(field.swiftName) = c.pointee.\(oneof)_case.rawValue == \(field.info.number) ? \(field.type.decode("c.pointee.\(field.info.name)")) : nil")
            case .oneof(let name, let members):
                out("        switch c.pointee.\(name)_case.rawValue {")
                for member in members {
                    out("        case \(member.info.number): self.\(SwiftNaming.lowerCamel(name)) = .\(SwiftNaming.escaped(member.swiftName))(\(member.type.decode("c.pointee.\(member.info.name)")))")
                }
                out("        default: self.\(SwiftNaming.lowerCamel(name)) = nil")
                out("        }")
            }
        }
        out("    }")
    }

    // MARK: Swift → C struct

    private func emitEncoder(_ properties: [Property], into out: inout CodeWriter) {
        out()
        let usesArena = properties.contains { property in
            switch property {
            case .plain(let field): field.type.isDefault("x") != nil
            default: true
            }
        }
        let cName = properties.isEmpty ? "_" : "c"
        let arenaLabel = usesArena ? "arena" : "arena _"
        out("    public func fill(_ \(cName): UnsafeMutablePointer<\(message.cName)>, \(arenaLabel): inout ProtoArena) {")
        for property in properties {
            switch property {
            case .plain(let field):
                let assignment = "c.pointee.\(field.info.name) = \(field.type.encode("self.\(field.swiftName)"))"
                if let check = field.type.isDefault("self.\(field.swiftName)") {
                    out("        if !\(check) { \(assignment) }")
                } else {
                    out("        \(assignment)")
                }
            case .message(let field):
                out("        if let value = self.\(field.swiftName) { c.pointee.\(field.info.name) = arena.message(value) }")
            case .repeated(let field):
                let member = field.info.name
                out("        if !self.\(field.swiftName).isEmpty {")
                out("            c.pointee.n_\(member) = self.\(field.swiftName).count")
                out("            c.pointee.\(member) = \(field.type.encodeArray("self.\(field.swiftName)"))")
                out("        }")
            case .map(let field, let key, let value, let entrySymbol):
                let member = field.info.name
                out("        if !self.\(field.swiftName).isEmpty {")
                out("            c.pointee.n_\(member) = self.\(field.swiftName).count")
                out("            c.pointee.\(member) = arena.mapEntries(self.\(field.swiftName), initialize: \(entrySymbol)__init) { entry, key, value, arena in")
                out("                entry.pointee.key = \(key.encode("key"))")
                out("                entry.pointee.value = \(value.encode("value"))")
                out("            }")
                out("        }")
            case .optional(let field, let oneof):
                out("        if let value = self.\(field.swiftName) {")
                out("            c.pointee.\(oneof)_case = .init(rawValue: \(field.info.number))")
                out("            c.pointee.\(field.info.name) = \(field.type.encode("value"))")
                out("        }")
            case .oneof(let name, let members):
                out("        switch self.\(SwiftNaming.lowerCamel(name)) {")
                for member in members {
                    out("        case .\(SwiftNaming.escaped(member.swiftName))(let value)?:")
                    out("            c.pointee.\(name)_case = .init(rawValue: \(member.info.number))")
                    out("            c.pointee.\(member.info.name) = \(member.type.encode("value"))")
                }
                out("        case nil:")
                out("            break")
                out("        }")
            }
        }
        out("    }")
    }

    // MARK: Field masks

    /// `fieldNames` and `merge(from:fields:)`: what an update mask names, and copying
    /// exactly those fields, so no service retypes a field list by hand.
    private func emitFieldMask(_ properties: [Property], into out: inout CodeWriter) {
        let names = message.fields.map(\.name)
        out()
        out("    /// The proto names of this message's fields, as update masks name them.")
        out("    public static let fieldNames: Set<String> = [\(names.map { "\"\($0)\"" }.joined(separator: ", "))]")
        out()
        out("    /// Copies the fields named in `fields` (proto names) from `other`.")
        out("    /// - Throws: `FieldMaskError.unknownField` for a name that is not a field of this message.")
        let otherName = properties.isEmpty ? "_" : "other"
        out("    public mutating func merge(from \(otherName): Self, fields: some Sequence<String>) throws(FieldMaskError) {")
        out("        for field in fields {")
        out("            switch field {")
        for property in properties {
            switch property {
            case .plain(let field), .message(let field), .repeated(let field), .map(let field, _, _, _), .optional(let field, _):
                let name = SwiftNaming.escaped(field.swiftName)
                out("            case \"\(field.info.name)\": self.\(name) = other.\(name)")
            case .oneof(let name, let members):
                // A member named in the mask takes the other's value when the other has
                // that member set, and clears the oneof when this value had it set.
                let property = SwiftNaming.escaped(SwiftNaming.lowerCamel(name))
                for member in members {
                    let memberCase = SwiftNaming.escaped(member.swiftName)
                    out("            case \"\(member.info.name)\":")
                    out("                if case .\(memberCase)? = other.\(property) {")
                    out("                    self.\(property) = other.\(property)")
                    out("                } else if case .\(memberCase)? = self.\(property) {")
                    out("                    self.\(property) = nil")
                    out("                }")
                }
            }
        }
        out("            default: throw FieldMaskError.unknownField(field, message: Self.protoName)")
        out("            }")
        out("        }")
        out("    }")
    }
}
