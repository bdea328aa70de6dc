/// The answer of a rate limiter.
public enum RateDecision: Sendable, Equatable {
    /// Go ahead; `remaining` tokens are left.
    case allowed(remaining: Double)
    /// Refused; enough tokens will be back in `retryAfterSeconds`.
    case denied(retryAfterSeconds: Int)
}
