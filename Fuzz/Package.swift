// swift-tools-version:5.3
// 5.3: a target with a main.swift is an executable linked with the main its code
// provides; later tools versions rename that main for testing and link against the
// new name, which a harness built with -parse-as-library (libFuzzer brings main) lacks.
import PackageDescription

/// libFuzzer harnesses, built apart from the main package because they have no
/// `main` of their own (libFuzzer's is linked in): `scripts/fuzz` builds them with
/// `-sanitize=fuzzer,address -parse-as-library` and runs each for a bounded time.
let package = Package(
    name: "SalesWireFuzz",
    platforms: [.macOS("15.0")],
    dependencies: [
        .package(name: "SalesWire", path: ".."),
        .package(name: "swift-nio", url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The frame decoder, then the RequestHeader decoder on every REQUEST it cuts out.
        .target(
            name: "fuzz-frames",
            dependencies: [
                .product(name: "SFATransport", package: "SalesWire"),
                .product(name: "SFAMessages", package: "SalesWire"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Every message type of the API through its generated decoder, and back.
        .target(
            name: "fuzz-messages",
            dependencies: [.product(name: "SFAMessages", package: "SalesWire")]
        ),
    ]
)
