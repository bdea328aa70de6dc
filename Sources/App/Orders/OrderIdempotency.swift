import Foundation
import JSON
import Postgres

/// Idempotency keys of `orders_create`, in `orderdesk.order_idempotency_keys` (one row per tenant,
/// store and key; row-level security keeps tenants apart).
///
/// A create first reserves its key with a `pending` row, so concurrent retries on any replica find
/// the reservation and wait instead of creating a second order. The reservation carries a lease:
/// a request that died holding it (a crashed replica) is taken over once the lease has passed, which
/// is set beyond the longest an upstream call can run. The reserving attempt then either completes
/// the row with the created order or deletes it, so a failed create can be retried with the same key.
struct OrderIdempotency: Sendable {
    enum Reservation: Sendable, Equatable {
        /// This attempt holds the key and should create the order.
        case reserved(attempt: UUID)
        /// The key was used with this body and the order was created: its stored result.
        case replay(JSONValue)
        /// The key is held for a different body.
        case mismatch
        /// Another attempt with this key and body is running.
        case inProgress
    }

    let database: Database
    /// How long a completed result is replayed.
    let ttl: Duration
    /// How long a pending reservation is trusted before another attempt may take it over.
    let lease: Duration

    /// Reserves the key, or reports why not. `keyHash` and `requestHash` are SHA-256 digests.
    func reserve(tenantID: UUID, storeID: UUID, keyHash: [UInt8], requestHash: [UInt8]) async throws -> Reservation {
        let attempt = UUID()
        let (leaseMilliseconds, ttlMilliseconds) = (lease.orderServiceMilliseconds, ttl.orderServiceMilliseconds)
        return try await database.withTenantTransaction(tenantID) { tx in
            // Takes the key when it is free, expired, or pending past its lease with the same body.
            // Otherwise ON CONFLICT leaves the row alone (but locked until this transaction ends).
            let taken = try tx.query(
                """
                INSERT INTO orderdesk.order_idempotency_keys AS k
                    (tenant_id, store_id, key_hash, request_hash, status, attempt_id, lease_until, created_at, expires_at)
                VALUES (\(tenantID), \(storeID), \(keyHash), \(requestHash), 'pending', \(attempt),
                        clock_timestamp() + \(leaseMilliseconds) * interval '1 millisecond', clock_timestamp(),
                        clock_timestamp() + \(ttlMilliseconds) * interval '1 millisecond')
                ON CONFLICT (tenant_id, store_id, key_hash) DO UPDATE
                SET request_hash = EXCLUDED.request_hash, status = 'pending', attempt_id = EXCLUDED.attempt_id,
                    lease_until = EXCLUDED.lease_until, order_id = NULL, response = NULL,
                    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                WHERE k.expires_at <= clock_timestamp()
                   OR (k.status = 'pending' AND k.lease_until <= clock_timestamp()
                       AND k.request_hash = EXCLUDED.request_hash)
                RETURNING k.attempt_id
                """)
            if !taken.isEmpty { return .reserved(attempt: attempt) }
            // A new statement sees the conflicting row even if it was committed a moment ago.
            guard
                let row = try tx.query(
                    """
                    SELECT request_hash = \(requestHash) AS same_body, status, response
                    FROM orderdesk.order_idempotency_keys
                    WHERE tenant_id = \(tenantID) AND store_id = \(storeID) AND key_hash = \(keyHash)
                    """
                ).first
            else { return .inProgress }
            guard try row.decode(Bool.self, "same_body") else { return .mismatch }
            if try row.decode(String.self, "status") == "completed", let response = try row.decode(JSONValue?.self, "response") {
                return .replay(response)
            }
            return .inProgress
        }
    }

    /// Stores the created order as the key's result. False if the reservation was no longer this
    /// attempt's (it outlived its lease and was taken over).
    @discardableResult
    func complete(
        tenantID: UUID, storeID: UUID, keyHash: [UInt8], attempt: UUID, order: JSONValue, orderID: String?
    ) async throws -> Bool {
        try await database.withTenantTransaction(tenantID) { tx in
            try tx.execute(
                """
                UPDATE orderdesk.order_idempotency_keys
                SET status = 'completed', response = \(order), order_id = \(orderID), lease_until = NULL
                WHERE tenant_id = \(tenantID) AND store_id = \(storeID) AND key_hash = \(keyHash)
                  AND attempt_id = \(attempt) AND status = 'pending'
                """) == 1
        }
    }

    /// Gives the key back after a failed create, so a retry with it creates the order.
    func release(tenantID: UUID, storeID: UUID, keyHash: [UInt8], attempt: UUID) async throws {
        try await database.withTenantTransaction(tenantID) { tx in
            try tx.execute(
                """
                DELETE FROM orderdesk.order_idempotency_keys
                WHERE tenant_id = \(tenantID) AND store_id = \(storeID) AND key_hash = \(keyHash)
                  AND attempt_id = \(attempt) AND status = 'pending'
                """)
        }
    }
}
