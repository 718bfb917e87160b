/// Writes the Swift enum of one protobuf enum: a case per value, plus `unrecognized`
/// for numbers from a newer peer, so that they survive a decode and re-encode.
struct EnumEmitter {
    let info: DescriptorModel.EnumInfo
    let scanned: ScannedEnum

    func emit(into out: inout CodeWriter) {
        let name = info.shortName
        let prefix = SwiftNaming.upperSnake(name) + "_"
        var seen: Set<Int32> = []
        // Aliases (two names, one number) keep the first name.
        let values = info.values.filter { seen.insert($0.number).inserted }.map { value in
            let stripped = value.name.hasPrefix(prefix) ? String(value.name.dropFirst(prefix.count)) : value.name
            return (name: value.name, swiftName: SwiftNaming.escaped(SwiftNaming.lowerCamel(stripped)), number: value.number)
        }
        let zero = values.first { $0.number == 0 }?.swiftName ?? values[0].swiftName
        out.append(SwiftNaming.docComment(scanned.doc, indent: ""))
        out("public enum \(name): ProtoEnum {")
        for value in values {
            out.append(SwiftNaming.docComment(scanned.valueDocs[value.name] ?? "", indent: "    "))
            out("    /// `\(value.name)` = \(value.number)")
            out("    case \(value.swiftName)")
        }
        out("    /// A number this code does not know, kept as it is.")
        out("    case unrecognized(Int32)")
        out()
        out("    /// The default value, number 0.")
        out("    public init() { self = .\(zero) }")
        out()
        out("    public init(rawValue: Int32) {")
        out("        switch rawValue {")
        for value in values {
            out("        case \(value.number): self = .\(value.swiftName)")
        }
        out("        default: self = .unrecognized(rawValue)")
        out("        }")
        out("    }")
        out()
        out("    public var rawValue: Int32 {")
        out("        switch self {")
        for value in values {
            out("        case .\(value.swiftName): \(value.number)")
        }
        out("        case .unrecognized(let number): number")
        out("        }")
        out("    }")
        out()
        out("    /// The known values, in declaration order.")
        out("    public static let allCases: [\(name)] = [\(values.map { "." + $0.swiftName }.joined(separator: ", "))]")
        out("}")
    }
}
