import Foundation
import SFACodec
import SFAMessages
import SFAProtoJSON
import SFARPC
import SFAStubs

/// Methods and message types of the API by name, for `call` and `describe`.
enum MethodLookup {
    /// The generated Swift type of every message, by full protobuf name.
    static let messageTypes: [String: any ProtoMessage.Type] = Dictionary(
        SFAMessageRegistry.allMessageTypes.map { ($0.protoName, $0) },
        uniquingKeysWith: { first, _ in first }
    )

    /// The method a user named: `/sfa.v1.LeadService/GetLead`, `sfa.v1.LeadService/GetLead`,
    /// `LeadService/GetLead`, or the same with a `.` before the method name.
    static func method(named name: String) throws(CLIError) -> MethodDescriptor {
        var text = name.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("/") { text.removeFirst() }
        let service: Substring
        let method: Substring
        if let slash = text.lastIndex(of: "/") {
            service = text[..<slash]
            method = text[text.index(after: slash)...]
        } else if let dot = text.lastIndex(of: ".") {
            service = text[..<dot]
            method = text[text.index(after: dot)...]
        } else {
            throw CLIError("\(name) is not a method name: write Service/Method, e.g. sfa.v1.HealthService/Check")
        }
        func matches(_ descriptor: MethodDescriptor, caseSensitive: Bool) -> Bool {
            let candidates = [descriptor.service, descriptor.service.split(separator: ".").last.map(String.init) ?? ""]
            if caseSensitive {
                return descriptor.method == method && candidates.contains(String(service))
            }
            return descriptor.method.lowercased() == method.lowercased()
                && candidates.contains { $0.lowercased() == service.lowercased() }
        }
        if let found = SFAServiceRegistry.allMethods.first(where: { matches($0, caseSensitive: true) })
            ?? SFAServiceRegistry.allMethods.first(where: { matches($0, caseSensitive: false) }) {
            return found
        }
        throw CLIError("unknown method \(name) ('sfactl call --list' lists every method)")
    }

    /// The Swift type of a message, by full protobuf name.
    static func messageType(named name: String) throws(CLIError) -> any ProtoMessage.Type {
        guard let type = messageTypes[name] else { throw CLIError("no generated type for message \(name)") }
        return type
    }
}
