public import Logging

/// A log handler that escapes and bounds everything it passes on: control
/// characters (a newline would start a genuine-looking line of its own) become
/// visible escapes, and the message and each metadata value are cut to
/// `maximumLength` characters. Client-controlled text reaches logs in many places
/// (record ids echoed in messages, `traceparent`, a health check's service name);
/// wrapping the process's handler makes every one of them safe by construction.
public struct EscapingLogHandler: LogHandler {
    private var wrapped: any LogHandler
    private let maximumLength: Int

    /// - Parameters:
    ///   - wrapped: the handler that writes the lines.
    ///   - maximumLength: the most characters of the message and of each metadata
    ///     value kept; the rest is replaced by a count of what was cut.
    public init(wrapping wrapped: any LogHandler, maximumLength: Int = 1024) {
        self.wrapped = wrapped
        self.maximumLength = maximumLength
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue.mapValues(escape) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map(escape) }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(escape(event.message.description))"
        event.metadata = event.metadata?.mapValues(escape)
        wrapped.log(event: event)
    }

    /// Text with control characters escaped and bounded to `maximumLength` characters.
    public func escape(_ text: String) -> String {
        var escaped = ""
        var kept = 0
        for scalar in text.unicodeScalars {
            guard kept < maximumLength else {
                escaped += "…(\(text.unicodeScalars.count - kept) more)"
                break
            }
            kept += 1
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case "\\": escaped += "\\\\"
            case _ where [.control, .format, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory):
                escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private func escape(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(escape(text))
        case .stringConvertible(let convertible): .string(escape(convertible.description))
        case .array(let values): .array(values.map(escape))
        case .dictionary(let values): .dictionary(values.mapValues(escape))
        }
    }
}
