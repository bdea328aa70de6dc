/// OrderDesk's per-store leaky bucket: 20 tokens, refilled at 3 per second, one per request.
struct LeakyBucket: Sendable {
    static let capacity = 20.0
    static let refillPerSecond = 3.0

    enum Decision: Equatable {
        case allowed(remaining: Int)
        /// `retryAfter` is whole seconds until one token is back (at least 1), for `X-Retry-After`.
        case denied(retryAfter: Int)
    }

    private var tokens = LeakyBucket.capacity
    private var updatedAt: ContinuousClock.Instant

    init(now: ContinuousClock.Instant) { updatedAt = now }

    mutating func take(now: ContinuousClock.Instant) -> Decision {
        refill(now: now)
        guard tokens >= 1 else {
            let seconds = (1 - tokens) / Self.refillPerSecond
            return .denied(retryAfter: max(1, Int(seconds.rounded(.up))))
        }
        tokens -= 1
        return .allowed(remaining: Int(tokens.rounded(.down)))
    }

    private mutating func refill(now: ContinuousClock.Instant) {
        let elapsed = now - updatedAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(Self.capacity, tokens + seconds * Self.refillPerSecond)
        updatedAt = now
    }
}
