import Foundation
import Postgres

/// The per-store token bucket in front of OrderDesk (`rate_limit_buckets`, bucket
/// `upstream:<stores.id>`), mirroring OrderDesk's own leaky bucket so that all replicas together stay
/// under it instead of each collecting 429s.
///
/// Taking tokens is one atomic `INSERT … ON CONFLICT DO UPDATE` (as in `TenantRateLimiter`): the row
/// lock makes replicas take turns and the refill uses the database's clock. When the bucket is
/// short, the caller sleeps until enough tokens will be back and tries again, within `maxWait`.
struct UpstreamBucket: Sendable {
    let database: Database
    let burst: Double
    let perSecond: Double
    let maxWait: Duration

    /// OrderDesk answered 429 with `X-Retry-After: wait`: no call of any replica may reach the store
    /// before that, so the bucket is emptied until then (later calls wait or get `rate_limited`).
    func holdOff(for wait: Duration, tenantID: UUID, storeID: UUID) async throws {
        // Never longer than an hour, whatever the header said.
        let wait = min(max(wait, .zero), .seconds(3600))
        try await TokenBucket(burst: burst, perSecond: perSecond).holdOff(
            for: wait, name: Self.name(storeID), tenantID: tenantID, in: database)
    }

    static func name(_ storeID: UUID) -> String { "upstream:" + storeID.uuidString.lowercased() }

    /// Takes `cost` tokens for `store`, waiting for them if that fits in `maxWait`.
    /// - Throws: `OrderServiceError(.rateLimited)` with `retryAfterSeconds` when they will not be
    ///   there in time; database errors; `CancellationError`.
    func take(_ cost: Double, tenantID: UUID, storeID: UUID) async throws {
        // A cost above the burst could never be paid; charge the whole bucket instead.
        let cost = min(max(cost, 0), burst)
        let clock = ContinuousClock()
        let deadline = clock.now + maxWait
        while true {
            let shortfall = try await consume(cost, tenantID: tenantID, storeID: storeID)
            guard shortfall > 0 else { return }
            // The time until the missing tokens are back (plus a little, so float rounding does not
            // wake us a hair too early). Other replicas may take them first; then we wait again.
            let wait = Duration.seconds(shortfall / perSecond) + .milliseconds(5)
            guard clock.now + wait <= deadline else {
                // Sleeping the rest of maxWait could not help: refills are the only way tokens return.
                let seconds = max(1, Int((shortfall / perSecond).rounded(.up)))
                ServiceMetrics.rateLimitDenied("upstream")
                throw OrderServiceError(
                    .rateLimited,
                    "Too many OrderDesk calls for this store right now (they are limited to stay under OrderDesk's "
                        + "own rate limit). Try again in \(seconds) s.",
                    retryAfterSeconds: seconds)
            }
            try await Task.sleep(for: wait)
        }
    }

    /// Takes `cost` tokens if the bucket holds them and returns 0, else changes nothing and returns how
    /// many tokens are missing.
    private func consume(_ cost: Double, tenantID: UUID, storeID: UUID) async throws -> Double {
        let name = Self.name(storeID)
        let bucket = TokenBucket(burst: burst, perSecond: perSecond)
        let outcome = try await bucket.take(cost, from: name, tenantID: tenantID, in: database)
        switch outcome {
        case .taken: return 0
        case .short(let missing): return missing
        }
    }
}
