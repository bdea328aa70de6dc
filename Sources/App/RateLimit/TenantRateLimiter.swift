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
        let row = try await database.withTenantTransaction(tenantID) { tx in
            try tx.query(
                """
                WITH attempt AS (
                    INSERT INTO orderdesk.rate_limit_buckets AS b (tenant_id, bucket, tokens, updated_at)
                    VALUES (\(tenantID), 'tenant', \(burst) - \(cost), clock_timestamp())
                    ON CONFLICT (tenant_id, bucket) DO UPDATE
                    SET tokens = least(\(burst), b.tokens
                            + greatest(0, extract(epoch FROM EXCLUDED.updated_at - b.updated_at)::float8) * \(perSecond))
                            - \(cost),
                        updated_at = EXCLUDED.updated_at
                    WHERE least(\(burst), b.tokens
                            + greatest(0, extract(epoch FROM EXCLUDED.updated_at - b.updated_at)::float8) * \(perSecond))
                          >= \(cost)
                    RETURNING b.tokens
                )
                SELECT true AS allowed, tokens FROM attempt
                UNION ALL
                SELECT false, least(\(burst), b.tokens
                           + greatest(0, extract(epoch FROM clock_timestamp() - b.updated_at)::float8) * \(perSecond))
                FROM orderdesk.rate_limit_buckets AS b
                WHERE b.tenant_id = \(tenantID) AND b.bucket = 'tenant' AND NOT EXISTS (SELECT 1 FROM attempt)
                """
            ).first.map { (allowed: try $0.decode(Bool.self, "allowed"), tokens: try $0.decode(Double.self, "tokens")) }
        }
        guard let row else {
            // Refused, but the row was inserted by a concurrent call after this statement's snapshot.
            return .denied(retryAfterSeconds: max(1, Int((cost / perSecond).rounded(.up))))
        }
        if row.allowed { return .allowed(remaining: max(0, row.tokens)) }
        let missing = max(cost - row.tokens, 0)
        return .denied(retryAfterSeconds: max(1, Int((missing / perSecond).rounded(.up))))
    }
}
