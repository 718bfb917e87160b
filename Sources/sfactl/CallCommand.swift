import ArgumentParser
import Foundation
import SFACodec
import SFAClient
import SFAProtoJSON
import SFARPC
import SFAStubs

/// `sfactl call METHOD [JSON]`: any RPC with a JSON body, like grpcurl.
struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call any RPC by name with a JSON request and print the JSON reply.",
        discussion: """
            METHOD is /sfa.v1.Service/Method, sfa.v1.Service/Method or Service/Method. The request \
            is the JSON argument, or standard input when it is '-' or left out; '{}' is the empty \
            request. JSON follows the proto3 mapping: field names as in the .proto (lowerCamelCase \
            also accepted), enums by value name or number, 64-bit integers as numbers or strings, \
            bytes as base64, maps as objects. The reply is printed as JSON with fields at their \
            default left out and 64-bit integers as strings. 'sfactl describe <type>' shows a \
            message's fields; 'sfactl call --list' lists the methods.

            Example: sfactl call AdminService/ListTenants '{"page_size": 2}'
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The method, e.g. sfa.v1.HealthService/Check.")
    var method: String?

    @Argument(help: "The request as JSON; '-' or left out: read it from standard input.")
    var request: String?

    @Flag(help: "List every method with its request and reply types, and exit.")
    var list = false

    @Flag(help: "Print reply fields at their default values too.")
    var emitDefaults = false

    @Flag(help: "Print the request as it would be sent (normalised JSON, through the generated type) and send nothing.")
    var dryRun = false

    @Option(help: "An idempotency key: the server runs a write with the same key once and the call may be retried.")
    var idempotencyKey: String?

    func validate() throws {
        if !list, method == nil { throw ValidationError("Missing expected argument '<method>' (or give --list)") }
    }

    func run() async throws {
        if list {
            try global.local { Self.printMethods(json: global.json) }
            return
        }
        var prepared: (descriptor: MethodDescriptor, payload: [UInt8])?
        try global.local {
            let descriptor = try MethodLookup.method(named: method ?? "")
            guard let input = DescriptorRegistry.message(named: descriptor.inputType) else {
                throw CLIError("no descriptor for \(descriptor.inputType)")
            }
            let text = try readRequest()
            let json = text.allSatisfy(\.isWhitespace) ? JSONValue.object([]) : try JSONValue.parse(text)
            prepared = (descriptor, try ProtoJSONEncoder.encode(json, as: input))
        }
        guard let (descriptor, payload) = prepared else { return }
        if dryRun {
            try global.local {
                let requestType = try MethodLookup.messageType(named: descriptor.inputType)
                let normalized = try Self.roundTrip(requestType, payload)
                guard let input = DescriptorRegistry.message(named: descriptor.inputType) else { return }
                print(try ProtoJSONDecoder.decode(normalized, as: input, style: .init(includeDefaults: self.emitDefaults)).serialized())
            }
            return
        }
        var callOptions = global.callOptions
        callOptions.idempotencyKey = idempotencyKey
        let emitDefaults = self.emitDefaults
        let options = callOptions
        try await global.withClient { client in
            let requestType = try MethodLookup.messageType(named: descriptor.inputType)
            let responseType = try MethodLookup.messageType(named: descriptor.outputType)
            let reply = try await Self.send(requestType, responseType, payload: payload, method: descriptor, client: client, options: options)
            guard let output = DescriptorRegistry.message(named: descriptor.outputType) else {
                throw CLIError("no descriptor for \(descriptor.outputType)")
            }
            let json = try ProtoJSONDecoder.decode(reply, as: output, style: .init(includeDefaults: emitDefaults))
            print(json.serialized())
        }
    }

    /// Decodes the packed request into its generated type, calls, and returns the
    /// reply packed again. Called with the method's types as `any ProtoMessage.Type`
    /// values, which Swift opens into `Request` and `Response`.
    private static func send<Request: ProtoMessage, Response: ProtoMessage>(
        _: Request.Type,
        _: Response.Type,
        payload: [UInt8],
        method: MethodDescriptor,
        client: RPCClient,
        options: CallOptions
    ) async throws -> [UInt8] {
        let request = try Request(serializedBytes: payload)
        let response = try await client.unary(method, request: request, responseType: Response.self, options: options)
        return response.serializedBytes()
    }

    /// `payload` decoded into its generated type and encoded again.
    private static func roundTrip<Message: ProtoMessage>(_: Message.Type, _ payload: [UInt8]) throws -> [UInt8] {
        try Message(serializedBytes: payload).serializedBytes()
    }

    /// The request text: the argument, or standard input for `-` or none.
    private func readRequest() throws(CLIError) -> String {
        if let request, request != "-" { return request }
        if isatty(STDIN_FILENO) != 0 {
            ErrorReporter.printError("(reading the request JSON from standard input; end it with Ctrl-D)")
        }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError("standard input is not UTF-8 text")
        }
        return text
    }

    private static func printMethods(json: Bool) {
        let methods = SFAServiceRegistry.allMethods
        if json {
            let list = JSONValue.array(methods.map { method in
                .object([
                    ("full_method", .string(method.fullName)),
                    ("input_type", .string(method.inputType)),
                    ("output_type", .string(method.outputType)),
                    ("idempotent", .bool(method.isIdempotent)),
                ])
            })
            print(list.serialized())
            return
        }
        var table = Table("METHOD", "REQUEST", "REPLY", "IDEMPOTENT")
        for method in methods {
            table.add(method.fullName, method.inputType, method.outputType, method.isIdempotent ? "yes" : "no")
        }
        table.print()
    }
}
