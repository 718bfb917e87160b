import ArgumentParser
import SFAMessages
import SFAProtoJSON

/// `sfactl list [SERVICE]`: the services the server hosts, or a service's methods,
/// from its ReflectionService (like `grpcurl list`).
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the services the server hosts, or the methods of one (ReflectionService).",
        discussion: """
            Asks the server, so a server newer than sfactl shows its own API; --offline lists the \
            API compiled into sfactl instead. Any key may ask.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A service (sfa.v1.LeadService or LeadService): list its methods.")
    var service: String?

    @Flag(help: "Read the API compiled into sfactl; ask no server.")
    var offline = false

    func run() async throws {
        try await global.withReflection(offline: offline) { source in
            let services = try await source.services()
            guard let service else {
                if global.json {
                    print(JSONValue.array(services.map { .string($0.name) }).serialized())
                } else {
                    for service in services { print(service.name) }
                }
                return
            }
            guard let found = source.service(service, in: services) else {
                throw CLIError("no service named \(service) ('sfactl list' lists them)")
            }
            Describe.printMethods(found.methods, title: "service \(found.name)", json: global.json)
        }
    }
}
