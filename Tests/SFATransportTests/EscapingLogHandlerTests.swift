import Logging
import NIOConcurrencyHelpers
import SFARPC
import Testing

/// Client text cannot forge or flood log lines once it passes the escaping handler.
@Suite struct EscapingLogHandlerTests {
    /// Keeps what reaches it, for the test to read.
    private struct Capture: LogHandler {
        let events: NIOLockedValueBox<[LogEvent]>
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { events.withLockedValue { $0.append(event) } }
    }

    private func logged(_ body: (Logger) -> Void) -> LogEvent? {
        let events = NIOLockedValueBox<[LogEvent]>([])
        let logger = Logger(label: "test") { _ in EscapingLogHandler(wrapping: Capture(events: events), maximumLength: 100) }
        body(logger)
        return events.withLockedValue { $0.first }
    }

    @Test func aNewlineInClientTextCannotStartALineOfItsOwn() throws {
        let event = try #require(logged { logger in
            logger.info("no lead lead_1\n2026-11-30 info sfad: forged", metadata: ["traceparent": "00-abc\r\nadmin=true", "service": "a\u{2028}b\u{0}c"])
        })
        let message = event.message.description
        #expect(message == "no lead lead_1\\n2026-11-30 info sfad: forged")
        #expect(event.metadata?["traceparent"] == "00-abc\\r\\nadmin=true")
        #expect(event.metadata?["service"] == "a\\u{2028}b\\u{0}c")
    }

    @Test func aHugeValueIsCutToTheBoundWithWhatWasCut() throws {
        let huge = String(repeating: "x", count: 1 << 20)
        let event = try #require(logged { logger in logger.warning("\(huge)", metadata: ["id": "\(huge)"]) })
        let expected = String(repeating: "x", count: 100) + "…(\((1 << 20) - 100) more)"
        #expect(event.message.description == expected)
        #expect(event.metadata?["id"] == .string(expected))
    }

    @Test func aBackslashIsEscapedSoThatEscapesCannotBeForged() throws {
        let event = try #require(logged { logger in logger.info("a\\nb") })
        #expect(event.message.description == "a\\\\nb")
    }
}
