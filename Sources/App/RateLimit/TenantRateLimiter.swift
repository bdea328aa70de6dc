import Foundation
import Postgres
import Synchronization

/// The per-tenant rate limit, kept in `orderdesk.rate_limit_buckets` (bucket `tenant`) so that all
/// replicas draw from one bucket.
///
/// Each database decision is one atomic `INSERT … ON CONFLICT DO UPDATE`: the row lock makes
/// concurrent calls on any replica take turns, the refill is computed from `updated_at` with the
/// database's `clock_timestamp()` (one clock for every replica), and a refused call changes nothing.
///
/// That row is every call's hot spot, so a replica takes a few tokens ahead of need with each
/// decision (`prefetch`: 5% of the burst, at most 20, none for bursts under 20) and spends them
/// locally for up to a second. Tokens are always taken from the shared bucket before they are
/// spent, so the tenant never gets more than its limit; unspent ones expire, which can only make the
/// limit a little stricter.
public final class TenantRateLimiter: Sendable {
    private let database: Database
    public let configuration: RateLimitConfiguration
    private let allowances = Mutex<[UUID: Allowance]>([:])

    /// Tokens a replica holds for a tenant, taken from the shared bucket ahead of need.
    private struct Allowance {
        var tokens: Double
        /// What the shared bucket held when they were taken.
        var remaining: Double
        var expires: ContinuousClock.Instant
    }

    /// How long prefetched tokens may be spent.
    static let allowanceLifetime = Duration.seconds(1)

    public init(database: Database, configuration: RateLimitConfiguration) {
        self.database = database
        self.configuration = configuration
    }

    /// Tokens taken ahead of need with each database decision.
    var prefetch: Double { (min(max(configuration.burst, 0) * 0.05, 20)).rounded(.down) }

    /// Takes `cost` tokens from the tenant's bucket if it holds that many.
    public func consume(tenantID: UUID, cost: Double) async throws -> RateDecision {
        let burst = max(configuration.burst, 0)
        // A cost above the burst could never be paid; charge the whole bucket instead.
        let cost = min(max(cost.isFinite ? cost : 0, 0), burst)
        let now = ContinuousClock.now
        let local = allowances.withLock { allowances -> Double? in
            guard var allowance = allowances[tenantID], allowance.expires > now, allowance.tokens >= cost else {
                return nil
            }
            allowance.tokens -= cost
            allowances[tenantID] = allowance
            return allowance.remaining
        }
        if let remaining = local { return .allowed(remaining: remaining) }

        let perSecond = max(configuration.perMinute, 0.000_001) / 60
        let bucket = TokenBucket(burst: burst, perSecond: perSecond)
        let outcome = try await bucket.take(cost, extra: prefetch, from: "tenant", tenantID: tenantID, in: database)
        switch outcome {
        case .taken(let remaining, let extra):
            if extra > 0 {
                let allowance = Allowance(tokens: extra, remaining: remaining, expires: now + Self.allowanceLifetime)
                allowances.withLock { allowances in
                    if allowances.count >= 10_000 { allowances = allowances.filter { $0.value.expires > now } }
                    allowances[tenantID] = allowance
                }
            }
            return .allowed(remaining: remaining)
        case .short(let missing):
            ServiceMetrics.rateLimitDenied("tenant")
            return .denied(retryAfterSeconds: bucket.secondsToRefill(missing))
        }
    }
}
