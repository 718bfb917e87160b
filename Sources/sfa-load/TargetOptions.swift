import ArgumentParser
import SFACommandLine

/// Where the server is, and how to speak TLS to it.
struct TargetOptions: ParsableArguments {
    @Option(help: "The server, host:port.")
    var target = "127.0.0.1:7411"

    @OptionGroup var tls: TLSOptions

    var host: String { String(target[..<(target.lastIndex(of: ":") ?? target.endIndex)]) }

    var port: Int { target.lastIndex(of: ":").flatMap { Int(target[target.index(after: $0)...]) } ?? 7411 }

    func validate() throws {
        guard let colon = target.lastIndex(of: ":"), Int(target[target.index(after: colon)...]) != nil else {
            throw ValidationError("--target must be host:port, e.g. 127.0.0.1:7411")
        }
    }
}

/// `10s`, `500ms`, `2m` or a number of seconds.
struct DurationArgument: ExpressibleByArgument {
    var duration: Duration

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let (number, scale) = units.first { argument.hasSuffix($0.0) }.map { (String(argument.dropLast($0.0.count)), $0.1) } ?? (argument, 1)
        guard let value = Double(number), value >= 0 else { return nil }
        duration = .milliseconds(Int64((value * scale * 1000).rounded()))
    }
}
