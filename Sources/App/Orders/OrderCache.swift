import Foundation
import JSON
import Postgres

/// The shared response cache in `orderdesk.cache_entries`, seen by every replica and scoped to the
/// tenant by row-level security.
///
/// Reads check `expires_at`; expired rows wait for the sweeper. A mutation of a store deletes the
/// order's entry and every list of the store, and moves the store's invalidation marker (scope
/// `invalidation`). A read-through fill only writes if no mutation was recorded since the fill
/// started, so a slow read cannot put back an order fetched before a concurrent update. Fills take
/// the store's advisory lock shared and invalidations take it exclusively, so the marker check and
/// the invalidation's delete cannot interleave.
struct OrderCache: Sendable {
    enum Scope: String, Sendable {
        case order
        case orderList = "order_list"
        /// Store-level answers (`GET /store`), e.g. the folder list under key `folders`. Order
        /// mutations leave them alone: moving or changing an order does not change the store's folders.
        case store
    }

    /// What a lookup found: the cached value, or the database time of the miss, which a later fill
    /// passes back to `fill` (text, exactly as PostgreSQL printed it, so no precision is lost).
    enum Lookup: Sendable {
        case hit(JSONValue)
        case miss(since: String)
    }

    /// How long the invalidation marker outlives a mutation: longer than any read can take (the
    /// upstream deadline plus the bucket wait), so every read that started before it still sees it.
    static let markerLifetimeSeconds = 600

    let database: Database

    static func orderKey(_ orderID: String) -> String { "order:" + orderID }
    /// The order fetched with its `order_history` (a separate entry: the plain one lacks it). No
    /// `order:` key starts with this prefix, so the two can never collide.
    static func orderWithHistoryKey(_ orderID: String) -> String { "order+history:" + orderID }
    /// The key of the store's folder list in scope `store`.
    static let foldersKey = "folders"

    func lookup(tenantID: UUID, storeID: UUID, scope: Scope, key: String) async throws -> Lookup {
        let row = try await database.statement(
            """
            SELECT clock_timestamp()::text AS checked_at,
                   (SELECT value FROM orderdesk.cache_entries
                    WHERE tenant_id = \(tenantID) AND store_id = \(storeID) AND scope = \(scope.rawValue)
                      AND key = \(key) AND expires_at > clock_timestamp()) AS value
            """, tenant: tenantID
        ).rows[0]
        if let value = try row.decode(JSONValue?.self, "value") { return .hit(value) }
        return .miss(since: try row.decode(String.self, "checked_at"))
    }

    /// The database time, as `lookup` reports a miss: the `since` of a fill that did not look first.
    func now(tenantID: UUID) async throws -> String {
        try await database.statement("SELECT clock_timestamp()::text AS now", tenant: tenantID).rows[0]
            .decode(String.self, "now")
    }

    /// Stores `value` for `ttl`, unless the store was mutated since `since` (then the value may be
    /// stale and is dropped). Returns whether it was stored.
    @discardableResult
    func fill(
        tenantID: UUID, storeID: UUID, scope: Scope, key: String, value: JSONValue, ttl: Duration, since: String
    ) async throws -> Bool {
        let milliseconds = ttl.orderServiceMilliseconds
        let (namespace, storeLock) = (OrderLockKeys.cacheNamespace, OrderLockKeys.cacheStore(storeID))
        return try await database.withTenantTransaction(tenantID) { tx in
            try tx.query("SELECT pg_advisory_xact_lock_shared(\(namespace), \(storeLock))")
            return try tx.execute(
                """
                INSERT INTO orderdesk.cache_entries AS c (tenant_id, store_id, scope, key, value, expires_at, created_at)
                SELECT \(tenantID), \(storeID), \(scope.rawValue), \(key), \(value),
                       clock_timestamp() + \(milliseconds) * interval '1 millisecond', clock_timestamp()
                WHERE NOT EXISTS (
                    SELECT 1 FROM orderdesk.cache_entries AS m
                    WHERE m.tenant_id = \(tenantID) AND m.store_id = \(storeID) AND m.scope = 'invalidation'
                      AND m.key = 'store' AND m.created_at >= \(since)::timestamptz)
                ON CONFLICT (tenant_id, store_id, scope, key) DO UPDATE
                SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at
                """) > 0
        }
    }

    /// Deletes the entry of `orderID` (when given) and every list of the store, and records the
    /// mutation so in-flight fills drop what they fetched. Returns the number of entries deleted.
    @discardableResult
    func invalidate(tenantID: UUID, storeID: UUID, orderID: String?) async throws -> Int {
        try await invalidate(tenantID: tenantID, storeID: storeID, orderIDs: orderID.map { [$0] } ?? [])
    }

    /// Deletes the entries of `orderIDs` (with and without history) and every list of the store in
    /// one transaction, and records the mutation so in-flight fills drop what they fetched. Returns
    /// the number of entries deleted.
    @discardableResult
    func invalidate(tenantID: UUID, storeID: UUID, orderIDs: [String]) async throws -> Int {
        try await database.withTenantTransaction(tenantID) { tx in
            try Self.invalidate(tenantID: tenantID, storeID: storeID, orderIDs: orderIDs, in: tx)
        }
    }

    /// `invalidate` inside the caller's transaction `tx` of tenant `tenantID`, so that it commits
    /// (or not) with the caller's other writes.
    @discardableResult
    static func invalidate(tenantID: UUID, storeID: UUID, orderIDs: [String], in tx: TenantTransaction) throws -> Int {
        let orderKeys = PostgresTextArray(orderIDs.flatMap { [orderKey($0), orderWithHistoryKey($0)] })
        let (namespace, storeLock) = (OrderLockKeys.cacheNamespace, OrderLockKeys.cacheStore(storeID))
        let lifetime = markerLifetimeSeconds
        try tx.query("SELECT pg_advisory_xact_lock(\(namespace), \(storeLock))")
        try tx.execute(
            """
            INSERT INTO orderdesk.cache_entries AS c (tenant_id, store_id, scope, key, value, expires_at, created_at)
            VALUES (\(tenantID), \(storeID), 'invalidation', 'store', '{}'::jsonb,
                    clock_timestamp() + \(lifetime) * interval '1 second', clock_timestamp())
            ON CONFLICT (tenant_id, store_id, scope, key) DO UPDATE
            SET expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at
            """)
        return try tx.execute(
            """
            DELETE FROM orderdesk.cache_entries
            WHERE tenant_id = \(tenantID) AND store_id = \(storeID)
              AND (scope = 'order_list' OR (scope = 'order' AND key = ANY(\(orderKeys))))
            """)
    }
}

extension Duration {
    /// The duration in milliseconds, as bound to `… * interval '1 millisecond'`.
    var orderServiceMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
