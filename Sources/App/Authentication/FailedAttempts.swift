import Foundation
import Postgres

/// Failed authentications per client address, counted in `orderdesk.auth_failure_buckets` so that
/// every replica enforces one shared budget: N replicas must not give an attacker N times the
/// attempts. Fixed one-minute windows; each statement is atomic on its own.
enum FailedAttempts {
    /// The counting window. The limit is "per minute", so this is not configurable.
    static let windowSeconds = 60

    /// Seconds until `client` may try again when it has used up `limit` failures in the current
    /// window, else nil. A read: nothing changes.
    static func retryAfter(for client: ClientAddress, limit: Int, in tx: TenantTransaction) throws -> Int? {
        let rows = try tx.query(
            """
            SELECT failures,
                   extract(epoch FROM window_start + make_interval(secs => \(Double(windowSeconds))) - clock_timestamp())::float8
                       AS remaining
            FROM orderdesk.auth_failure_buckets
            WHERE client_ip = \(client.bucketKey)
              AND window_start > clock_timestamp() - make_interval(secs => \(Double(windowSeconds)))
            """)
        guard let row = rows.first, try row.decode(Int.self, "failures") >= limit else { return nil }
        let remaining = try row.decode(Double.self, "remaining")
        return max(1, Int(remaining.rounded(.up)))
    }

    /// Counts one failure for `client`: starts a new window when the last one has ended, else adds
    /// one. A single INSERT … ON CONFLICT DO UPDATE, so concurrent failures on any replica all count.
    static func record(for client: ClientAddress, in tx: TenantTransaction) throws {
        try tx.execute(
            """
            INSERT INTO orderdesk.auth_failure_buckets AS f (client_ip, failures, window_start)
            VALUES (\(client.bucketKey), 1, clock_timestamp())
            ON CONFLICT (client_ip) DO UPDATE SET
                failures = CASE
                    WHEN f.window_start > EXCLUDED.window_start - make_interval(secs => \(Double(windowSeconds)))
                    THEN least(f.failures + 1, 1000000) ELSE 1 END,
                window_start = CASE
                    WHEN f.window_start > EXCLUDED.window_start - make_interval(secs => \(Double(windowSeconds)))
                    THEN f.window_start ELSE EXCLUDED.window_start END
            """)
    }
}
