/// When and how often the client retries a call that failed with UNAVAILABLE, or
/// with RESOURCE_EXHAUSTED carrying `retry_after_ms`.
///
/// UNAVAILABLE is retried only for calls that are safe to repeat: methods the API
/// marks idempotent (`idempotency_level`) and calls that carry an idempotency key.
/// RESOURCE_EXHAUSTED with a retry hint is retried for any call: the server did not
/// start it. Backoff is exponential with full jitter (a random wait between 0 and the
/// current backoff), and never shorter than the server's `retry_after_ms`.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included; 1 means no retry.
    public var maximumAttempts: Int
    /// The backoff before the first retry.
    public var initialBackoff: Duration
    /// The backoff never grows past this.
    public var maximumBackoff: Duration
    /// The factor the backoff grows by after each retry.
    public var multiplier: Double

    public init(
        maximumAttempts: Int = 4,
        initialBackoff: Duration = .milliseconds(50),
        maximumBackoff: Duration = .seconds(2),
        multiplier: Double = 2
    ) {
        self.maximumAttempts = maximumAttempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.multiplier = multiplier
    }

    /// Never retry.
    public static let none = RetryPolicy(maximumAttempts: 1)

    /// The wait before retry number `retry` (1 for the first retry), with full jitter.
    public func backoff(beforeRetry retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        var ceiling = initialBackoff
        for _ in 1..<max(retry, 1) {
            ceiling = min(ceiling * multiplier, maximumBackoff)
        }
        let nanoseconds = Double(ceiling.components.seconds) * 1e9 + Double(ceiling.components.attoseconds) / 1e9
        return .nanoseconds(Int64(Double.random(in: 0...1, using: &generator) * nanoseconds))
    }
}
