import Foundation
import Postgres

/// The per-tenant rate limit, kept in `orderdesk.rate_limit_buckets` (bucket `tenant`) so that all
/// replicas draw from one bucket.
///
/// Each decision is one atomic `INSERT … ON CONFLICT DO UPDATE`: the row lock makes concurrent
/// calls on any replica take turns, the refill is computed from `updated_at` with the database's
/// `clock_timestamp()` (one clock for every replica), and a refused call changes nothing.
public final class TenantRateLimiter: Sendable {
    private let database: Database
    public let configuration: RateLimitConfiguration

    public init(database: Database, configuration: RateLimitConfiguration) {
        self.database = database
        self.configuration = configuration
    }

    /// Takes `cost` tokens from the tenant's bucket if it holds that many.
    public func consume(tenantID: UUID, cost: Double) async throws -> RateDecision {
        let burst = max(configuration.burst, 0)
        // A cost above the burst could never be paid; charge the whole bucket instead.
        let cost = min(max(cost.isFinite ? cost : 0, 0), burst)
        let perSecond = max(configuration.perMinute, 0.000_001) / 60
        let bucket = TokenBucket(burst: burst, perSecond: perSecond)
        let outcome = try await bucket.take(cost, from: "tenant", tenantID: tenantID, in: database)
        switch outcome {
        case .taken(let remaining): return .allowed(remaining: remaining)
        case .short(let missing):
            ServiceMetrics.rateLimitDenied("tenant")
            return .denied(retryAfterSeconds: bucket.secondsToRefill(missing))
        }
    }
}
