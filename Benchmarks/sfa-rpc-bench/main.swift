// sfa-rpc-bench: what the RPC stack costs over a raw length-prefixed echo (issue #3),
// and, run by scripts/bench, what the real call path of `sfad` costs (issue #8).
//
//   swift run -c release sfa-rpc-bench                  # the whole benchmark, about 40 s
//   swift run -c release sfa-rpc-bench --seconds 3 --rounds 5
//   scripts/bench                                       # the call path, about 2 min
//
// The driver (this process) starts two children from its own executable, each on
// 127.0.0.1 with a system-chosen port:
//   --role server  an `RPCServer` with no extra services (it hosts HealthService by
//                  itself) and no observers: the server transport, dispatch,
//                  request/response coding and the health handler;
//   --role echo    a raw SwiftNIO server: `FrameDecoder`, then a handler that answers
//                  every REQUEST frame with a 14-byte RESPONSE frame with the same call
//                  id, an empty header (status OK) and an empty payload (an empty
//                  HealthCheckResponse), flushed once per read burst. The ceiling for
//                  any request/response over loopback on this machine.
// Both are driven by the same client: one `RPCConnection`, `concurrency` tasks each
// calling `HealthServiceClient.check` in a closed loop for `--seconds` after a
// `--warmup`, every call timed with `ContinuousClock`. Concurrency 1, 16 and 64; the
// two targets alternate within each round, and for each (target, concurrency) the
// round with the best throughput is kept. Printed: calls/s, p50 and p99 of each side
// and the ratio server ÷ echo. Goal: at 64 concurrent calls the server reaches at
// least 60% of the echo's throughput.
//
// With `--role call-path` (what scripts/bench runs) the targets are not children:
// the script starts a real `sfad --demo` and the C echo of Benchmarks/c-echo, and
// this driver measures LeadService.GetLead and ListLeads (admin key of the demo
// tenant) and HealthService.Check on both, the same way (CallPath.swift).
//
// Absolute figures on these shared machines are noise; the ratios are what matter.
// Only the ratio of a run is meaningful, not a comparison across runs or machines.
// The children exit when the driver closes their stdin (or dies), and are also
// terminated explicitly at the end.

#if canImport(Glibc)
    import Glibc
#endif

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    printError("sfa-rpc-bench: \(error)\n\n\(BenchOptions.usage)")
    exit(2)
}

do {
    switch options.role {
    case .driver:
        try await runDriver(options)
    case .server:
        try await runServerRole(port: options.port)
    case .echo:
        try await runEchoRole(port: options.port)
    case .callPath:
        try await runCallPath(options)
    }
} catch {
    printError("sfa-rpc-bench (\(options.role)): \(error)")
    exit(1)
}
