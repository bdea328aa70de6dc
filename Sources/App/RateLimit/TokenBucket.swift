import Foundation
import Postgres

/// A token bucket kept in `orderdesk.rate_limit_buckets`, shared by every replica.
///
/// One statement refills the bucket from the time since its last update and takes the tokens only
/// if they are there (`INSERT … ON CONFLICT DO UPDATE … WHERE`), so concurrent callers on any
/// replica can never overdraw it; a refused call changes nothing. A missing row is a full bucket.
struct TokenBucket: Sendable {
    /// Capacity.
    let burst: Double
    /// Refill rate.
    let perSecond: Double

    enum Outcome: Equatable {
        /// `extra` of the tokens asked for ahead of need were taken as well (0 when the bucket could
        /// not spare them all).
        case taken(remaining: Double, extra: Double)
        /// Nothing was taken; this many tokens were missing.
        case short(missing: Double)
    }

    /// Takes `cost` tokens from the tenant's bucket `name`, plus up to `extra` more when the bucket
    /// holds them (tokens taken ahead of need, see `TenantRateLimiter`), in one database round trip.
    func take(_ cost: Double, extra: Double = 0, from name: String, tenantID: UUID, in database: Database) async throws
        -> Outcome
    {
        let rows = try await database.statement(takeQuery(cost, extra: extra, from: name, tenantID: tenantID), tenant: tenantID)
            .rows
        return try outcome(of: rows, cost: cost, extra: extra)
    }

    /// The statement of `take`, for a transaction in which `app.tenant_id` is already `tenantID`
    /// (`take` sets it; a call's opening statement sets it for the charge that rides along with it).
    func takeQuery(_ cost: Double, extra: Double, from name: String, tenantID: UUID) -> PostgresQuery {
        """
        WITH attempt AS (
            INSERT INTO orderdesk.rate_limit_buckets AS b (tenant_id, bucket, tokens, updated_at)
            VALUES (\(tenantID), \(name), \(burst) - \(cost) - least(\(extra), \(burst) - \(cost)), clock_timestamp())
            ON CONFLICT (tenant_id, bucket) DO UPDATE
            SET tokens = least(\(burst), b.tokens
                    + greatest(0, extract(epoch FROM EXCLUDED.updated_at - b.updated_at)::float8) * \(perSecond))
                    - \(cost)
                    - least(\(extra), greatest(0, least(\(burst), b.tokens
                        + greatest(0, extract(epoch FROM EXCLUDED.updated_at - b.updated_at)::float8) * \(perSecond))
                        - \(cost))),
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
        WHERE b.tenant_id = \(tenantID) AND b.bucket = \(name) AND NOT EXISTS (SELECT 1 FROM attempt)
        """
    }

    /// What `takeQuery` returned, as an outcome.
    func outcome(of rows: [PostgresRow], cost: Double, extra: Double) throws -> Outcome {
        // No row: refused, but the row was created by a concurrent call after this statement's
        // snapshot. Treat the bucket as empty.
        guard let row = rows.first else { return .short(missing: cost) }
        let tokens = try row.decode(Double.self, "tokens")
        if try row.decode(Bool.self, "allowed") {
            // An empty bucket afterwards means the extra may have been cut short: count none of it
            // (the limit then errs on the strict side).
            return .taken(remaining: max(0, tokens), extra: tokens > 0.000_001 ? extra : 0)
        }
        return .short(missing: max(cost - tokens, 0.000_001))
    }

    /// Empties the bucket `name` so that it holds its next token only after `wait` (the tokens go
    /// negative); a bucket already in a longer hold-off keeps it. One round trip.
    func holdOff(for wait: Duration, name: String, tenantID: UUID, in database: Database) async throws {
        let debt = -(Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18) * perSecond
        try await database.statement(
            """
            INSERT INTO orderdesk.rate_limit_buckets AS b (tenant_id, bucket, tokens, updated_at)
            VALUES (\(tenantID), \(name), \(debt), clock_timestamp())
            ON CONFLICT (tenant_id, bucket) DO UPDATE
            SET tokens = least(EXCLUDED.tokens, least(\(burst), b.tokens
                    + greatest(0, extract(epoch FROM EXCLUDED.updated_at - b.updated_at)::float8) * \(perSecond))),
                updated_at = EXCLUDED.updated_at
            """, tenant: tenantID)
    }

    /// Whole seconds until `missing` tokens have refilled (at least 1).
    func secondsToRefill(_ missing: Double) -> Int {
        max(1, Int((missing / perSecond).rounded(.up)))
    }
}
