/// How often and how patiently a failed request is tried again: exponential backoff with jitter.
///
/// Retry `n` (counting from 0) waits `baseDelay · 2ⁿ`, capped at `maxDelay`, then scaled by a random
/// factor in `1 ± jitter` so that many replicas hit by the same outage do not retry in lockstep.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt; `0` disables retrying.
    public var maxRetries: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Fraction (0…1) by which each wait is randomly shortened or lengthened.
    public var jitter: Double

    public init(maxRetries: Int, baseDelay: Duration, maxDelay: Duration, jitter: Double = 0.2) {
        self.maxRetries = max(0, maxRetries)
        self.baseDelay = max(.zero, baseDelay)
        self.maxDelay = max(self.baseDelay, maxDelay)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// Upstream failures (429, 500, 502, 503, 504, network): 3 retries after about 1 s, 2 s, 4 s.
    public static let upstreamDefault = RetryPolicy(maxRetries: 3, baseDelay: .seconds(1), maxDelay: .seconds(30))

    /// Update conflicts (HTTP 409): 5 retries after about 0.5 s, 1 s, 2 s, 4 s, 8 s, each re-fetching
    /// and re-merging the order.
    public static let conflictDefault = RetryPolicy(
        maxRetries: 5, baseDelay: .milliseconds(500), maxDelay: .seconds(8))

    /// The wait before retry number `retry` (0 for the first retry).
    public func delay(forRetry retry: Int) -> Duration {
        let exponent = min(max(retry, 0), 30)
        let nominal = min(baseDelay * (1 << exponent), maxDelay)
        guard jitter > 0 else { return nominal }
        return nominal * Double.random(in: (1 - jitter)...(1 + jitter))
    }
}
