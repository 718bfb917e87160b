import Foundation

/// The command line, parsed by hand (this target has no ArgumentParser).
struct BenchOptions: Sendable {
    enum Role: String, Sendable, CustomStringConvertible {
        case driver, server, echo
        /// The driver of `scripts/bench`: measures an `sfad` and an echo the script started.
        case callPath = "call-path"
        var description: String { rawValue }
    }

    /// A process `scripts/bench` started, for the call-path role.
    struct External: Sendable {
        var port: Int?
        var pid: Int32?

        /// The process to measure, once both its port and pid are known.
        func target(named name: String) -> Target? {
            guard let port, let pid else { return nil }
            return Target(name: name, port: port, pid: pid)
        }
    }

    var role = Role.driver
    /// For the server and echo roles: the port to bind (0 = any).
    var port = 0
    /// For the call-path role: the echo, `sfad`, and the demo key file `sfad --demo` wrote.
    var echo = External()
    var sfad = External()
    var demoKeys: String?
    /// Measured seconds per (target, concurrency, round).
    var seconds = 1.5
    /// Seconds of calls before measuring starts, on each fresh connection.
    var warmup = 0.3
    var rounds = 3
    var concurrencies = [1, 16, 64]

    static let usage = """
        usage: sfa-rpc-bench [--seconds S] [--warmup S] [--rounds N] [--concurrency 1,16,64]
               sfa-rpc-bench --role server|echo [--port N]
               sfa-rpc-bench --role call-path --echo-port N --echo-pid N --sfad-port N --sfad-pid N
                             --demo-keys FILE [--seconds S] [--warmup S] [--rounds N] [--concurrency L]

          --seconds S        measured seconds per target, concurrency and round (default 1.5)
          --warmup S         seconds of calls before measuring, per connection (default 0.3)
          --rounds N         rounds; the best throughput round is kept (default 3)
          --concurrency L    comma-separated concurrent calls (default 1,16,64)
          --role R           driver (default), or a child: server (RPCServer) or echo (raw NIO),
                             or call-path: the driver of scripts/bench, which starts the processes
          --port N           the port a child binds on 127.0.0.1 (default 0: any); prints PORT <n>
          --echo-port N, --echo-pid N, --sfad-port N, --sfad-pid N
                             call-path: where the echo and sfad listen on 127.0.0.1, and their pids
          --demo-keys FILE   call-path: the key file of `sfad --demo` (its admin key is used)
        """

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> BenchOptions {
        var options = BenchOptions()
        var index = 0
        func value(_ name: String) throws(UsageError) -> String {
            index += 1
            guard index < arguments.count else { throw UsageError(description: "\(name) needs a value") }
            return arguments[index]
        }
        func number<T: LosslessStringConvertible & Comparable>(
            _ name: String,
            _: T.Type,
            minimum: T
        ) throws(UsageError) -> T {
            let text = try value(name)
            guard let number = T(text), number >= minimum else {
                throw UsageError(description: "\(name): not a valid value: \(text)")
            }
            return number
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--role":
                let text = try value(argument)
                guard let role = Role(rawValue: text) else { throw UsageError(description: "unknown role \(text)") }
                options.role = role
            case "--port":
                options.port = try number(argument, Int.self, minimum: 0)
                guard options.port <= 65535 else { throw UsageError(description: "--port: out of range") }
            case "--seconds":
                options.seconds = try number(argument, Double.self, minimum: 0.05)
            case "--warmup":
                options.warmup = try number(argument, Double.self, minimum: 0)
            case "--rounds":
                options.rounds = try number(argument, Int.self, minimum: 1)
            case "--concurrency":
                let text = try value(argument)
                let list = text.split(separator: ",").compactMap { Int($0) }
                guard !list.isEmpty, list.count == text.split(separator: ",").count,
                    list.allSatisfy({ $0 >= 1 && $0 <= 1000 })
                else { throw UsageError(description: "--concurrency: expected e.g. 1,16,64 (each 1…1000)") }
                options.concurrencies = list
            case "--echo-port":
                options.echo.port = try number(argument, Int.self, minimum: 1)
            case "--echo-pid":
                options.echo.pid = try number(argument, Int32.self, minimum: 1)
            case "--sfad-port":
                options.sfad.port = try number(argument, Int.self, minimum: 1)
            case "--sfad-pid":
                options.sfad.pid = try number(argument, Int32.self, minimum: 1)
            case "--demo-keys":
                options.demoKeys = try value(argument)
            case "--help", "-h":
                print(usage)
                exit(0)
            default:
                throw UsageError(description: "unknown argument \(argument)")
            }
            index += 1
        }
        if options.role == .callPath,
            options.echo.target(named: "echo") == nil || options.sfad.target(named: "sfad") == nil
                || options.demoKeys == nil
        {
            throw UsageError(
                description: "--role call-path needs --echo-port, --echo-pid, --sfad-port, --sfad-pid and --demo-keys"
            )
        }
        return options
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
