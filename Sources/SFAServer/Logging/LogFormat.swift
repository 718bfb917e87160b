public import Logging
import SFARPC

/// How `sfad` writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's `StreamLogHandler` line: time, level, label, `key=value` metadata,
    /// source and message; for people and the journal.
    case text
    /// One JSON object per line (``JSONLogHandler``); for log collectors.
    case json

    /// A handler writing this format to `stream`, every line escaped and bounded
    /// (``EscapingLogHandler``), at `level`.
    public func handler(label: String, level: Logger.Level, stream: any TextOutputStream & Sendable) -> any LogHandler {
        let lines: any LogHandler
        switch self {
        case .text: lines = StreamLogHandler(label: label, stream: stream, metadataProvider: nil)
        case .json: lines = JSONLogHandler(label: label, stream: stream)
        }
        var handler = EscapingLogHandler(wrapping: lines)
        handler.logLevel = level
        return handler
    }
}
