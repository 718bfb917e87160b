/// Writes, for one service: its method descriptors, the server protocol a service
/// implements (one async method per RPC) and the typed client stub.
struct ServiceEmitter {
    let info: DescriptorModel.ServiceInfo
    let scanned: ScannedService
    let model: DescriptorModel

    func emit(into out: inout CodeWriter) {
        let name = info.shortName
        let methods = info.methods.map { method in
            (
                rpc: method.name,
                swift: SwiftNaming.escaped(SwiftNaming.lowerCamel(SwiftNaming.upperSnake(method.name))),
                input: model.messages[method.input]!.shortName,
                output: model.messages[method.output]!.shortName,
                inputFull: method.input,
                outputFull: method.output,
                doc: scanned.methodDocs[method.name] ?? "",
                idempotent: scanned.idempotentMethods.contains(method.name)
            )
        }

        out("/// The methods of `\(info.fullName)`.")
        out("public enum \(name)Methods {")
        for method in methods {
            out("    /// `/\(info.fullName)/\(method.rpc)`")
            out("    public static let \(method.swift) = MethodDescriptor(")
            out("        service: \"\(info.fullName)\",")
            out("        method: \"\(method.rpc)\",")
            out("        inputType: \"\(method.inputFull)\",")
            out("        outputType: \"\(method.outputFull)\",")
            out("        isIdempotent: \(method.idempotent)")
            out("    )")
        }
        out()
        out("    /// Every method of the service, in declaration order.")
        out("    public static let all: [MethodDescriptor] = [\(methods.map(\.swift).joined(separator: ", "))]")
        out("}")
        out()

        out.append(SwiftNaming.docComment(scanned.doc, indent: ""))
        out("///")
        out("/// Implement this protocol to serve `\(info.fullName)`.")
        out("public protocol \(name)Handler: RPCService {")
        for (index, method) in methods.enumerated() {
            if index > 0 { out() }
            out.append(SwiftNaming.docComment(method.doc, indent: "    "))
            out("    func \(method.swift)(_ request: \(method.input), context: ServerContext) async throws -> \(method.output)")
        }
        out("}")
        out()
        out("extension \(name)Handler {")
        out("    /// Every method, served by the typed functions above.")
        out("    public var methodHandlers: [RPCMethodHandler] { typedMethodHandlers }")
        out()
        out("    /// Every method served by the typed functions above; a service that answers")
        out("    /// some methods otherwise (stored bytes) replaces those in `methodHandlers`.")
        out("    public var typedMethodHandlers: [RPCMethodHandler] {")
        out("        [")
        for method in methods {
            out("            RPCMethodHandler(method: \(name)Methods.\(method.swift)) { (request: \(method.input), context) in")
            out("                try await self.\(method.swift)(request, context: context)")
            out("            },")
        }
        out("        ]")
        out("    }")
        out("}")
        out()

        out("/// A typed client for `\(info.fullName)`.")
        out("public struct \(name)Client: Sendable {")
        out("    /// The connection or pool the calls go through.")
        out("    public let caller: any RPCCaller")
        out()
        out("    public init(_ caller: any RPCCaller) {")
        out("        self.caller = caller")
        out("    }")
        for method in methods {
            out()
            out.append(SwiftNaming.docComment(method.doc, indent: "    "))
            out("    public func \(method.swift)(_ request: \(method.input), options: CallOptions = CallOptions()) async throws -> \(method.output) {")
            out("        try await caller.unary(\(name)Methods.\(method.swift), request: request, responseType: \(method.output).self, options: options)")
            out("    }")
        }
        out("}")
    }
}
