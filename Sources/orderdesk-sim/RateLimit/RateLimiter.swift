import Synchronization

/// One leaky bucket per store. With `--no-rate-limit` every request is allowed and reported as
/// having the full bucket left.
final class RateLimiter: Sendable {
    let isEnabled: Bool
    private let buckets = Mutex<[String: LeakyBucket]>([:])

    init(isEnabled: Bool) { self.isEnabled = isEnabled }

    func take(storeID: String) -> LeakyBucket.Decision {
        guard isEnabled else { return .allowed(remaining: Int(LeakyBucket.capacity)) }
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            var bucket = buckets[storeID] ?? LeakyBucket(now: now)
            let decision = bucket.take(now: now)
            buckets[storeID] = bucket
            return decision
        }
    }

    /// Fills every bucket (admin reset).
    func refillAll() { buckets.withLock { $0.removeAll() } }
}
