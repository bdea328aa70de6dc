import Foundation
import JSON
import Logging
import OrderDesk
import Postgres

/// Reads and changes a tenant's OrderDesk orders the way every replica must: through the shared
/// Postgres cache, under the per-store upstream bucket, with updates of one order serialized across
/// replicas and creates made idempotent by key.
///
/// - Reads (`get`, `list`) are read-through cached in `cache_entries` for `orderTTL` / `listTTL`.
/// - Every mutation (`create`, `update`, `delete`) invalidates the order's entry and every list of the
///   store, for all replicas, once OrderDesk has been called (whatever it answered: a failed call may
///   still have changed the order).
/// - Before each OrderDesk call a token is taken from the store's upstream bucket (two for an update,
///   which is a GET and a PUT); an empty bucket makes the call wait up to `upstreamMaxWait`, then fail
///   with `OrderServiceError(.rateLimited)`.
/// - Each OrderDesk call then runs in one of its tenant's `upstreamConcurrencyPerTenant` slots on this
///   replica (waiting up to `upstreamMaxWait` for one, then `rateLimited` too), so a tenant whose
///   OrderDesk hangs cannot take every transfer thread of the client.
/// - Updates of one order hold its lease (`order_update_leases`) from the fetch to the PUT; no database
///   connection is held while OrderDesk is called.
///
/// Errors: `OrderServiceError`; `OrderDeskError` exactly as the client threw it; `StoreError` when the
/// store is not (or no longer) registered; `PostgresError`.
public final class OrderService: Sendable {
    let database: Database
    let stores: StoreRegistry
    let orderDesk: OrderDeskClient
    public let configuration: OrderServiceConfiguration
    let logger: Logger
    let cache: OrderCache
    let bucket: UpstreamBucket
    let upstreamSlots: TenantUpstreamSlots
    let idempotency: OrderIdempotency
    let updateLeases: OrderUpdateLeases

    public init(
        database: Database, stores: StoreRegistry, orderDesk: OrderDeskClient, configuration: OrderServiceConfiguration,
        logger: Logger = Logger(label: "orderdesk.orders")
    ) {
        self.database = database
        self.stores = stores
        self.orderDesk = orderDesk
        self.configuration = configuration
        self.logger = logger
        self.cache = OrderCache(database: database)
        self.bucket = UpstreamBucket(
            database: database, burst: configuration.upstreamBurst, perSecond: configuration.upstreamPerSecond,
            maxWait: configuration.upstreamMaxWait)
        self.upstreamSlots = TenantUpstreamSlots(
            limit: configuration.upstreamConcurrencyPerTenant, maxWait: configuration.upstreamMaxWait)
        // A reservation must outlive the request holding it: the bucket and slot waits, the client's
        // whole deadline (all retries included), and a margin for the database round trips around them.
        self.idempotency = OrderIdempotency(
            database: database, ttl: configuration.idempotencyTTL,
            lease: configuration.upstreamMaxWait * 2 + orderDesk.configuration.timeout + .seconds(30))
        // An update lease must outlive the longest stretch between two confirmations: the slot wait and
        // the GET before the first PUT; later a PUT answered 409, the conflict pause and the next GET
        // (each call within the client's deadline); plus a margin for the database round trips.
        self.updateLeases = OrderUpdateLeases(
            database: database,
            duration: configuration.upstreamMaxWait + orderDesk.configuration.timeout * 2
                + orderDesk.configuration.conflictRetry.maxDelay * (1 + orderDesk.configuration.conflictRetry.jitter)
                + .seconds(30),
            logger: logger)
    }

    /// One order by OrderDesk id, read through the cache (key `order:<id>`, scope `order`; with
    /// `includeHistory`, `order+history:<id>`, the order with its `order_history`).
    /// Returns the order's JSON object and whether it was served from the cache.
    public func get(
        tenantID: UUID, store: RegisteredStore, orderID: String, includeHistory: Bool = false,
        snapshot: CallSnapshot? = nil
    ) async throws -> (order: JSONValue, cached: Bool) {
        let ttl = configuration.orderTTL
        guard ttl > .zero else {
            return (
                try await fetchOrder(tenantID: tenantID, store: store, orderID: orderID, includeHistory: includeHistory),
                false
            )
        }
        let probe = CacheProbe.order(orderID, includeHistory: includeHistory)
        let key = probe.key
        // The call's opening statement may have read the entry already (`CallSnapshots`).
        let lookup =
            if let read = snapshot?.lookup(tenantID: tenantID, storeID: store.id, probe: probe) { read } else {
                try await cache.lookup(tenantID: tenantID, storeID: store.id, scope: .order, key: key)
            }
        switch lookup {
        case .hit(let order):
            ServiceMetrics.cacheLookup(.order, hit: true)
            return (order, true)
        case .miss(let since):
            ServiceMetrics.cacheLookup(.order, hit: false)
            let order = try await fetchOrder(
                tenantID: tenantID, store: store, orderID: orderID, includeHistory: includeHistory)
            await fill(tenantID: tenantID, storeID: store.id, scope: .order, key: key, value: order, ttl: ttl, since: since)
            return (order, false)
        }
    }

    /// One page of orders, read through the cache under a key covering every parameter of `query`.
    /// Returns `{"orders", "total_records", "records_returned", "offset", "limit", "has_more",
    /// "next_offset"}` (`next_offset` null on the last page) and whether it came from the cache.
    public func list(tenantID: UUID, store: RegisteredStore, query: OrderQuery) async throws -> (page: JSONValue, cached: Bool) {
        let ttl = configuration.listTTL
        guard ttl > .zero else {
            return (try await fetchList(tenantID: tenantID, store: store, query: query), false)
        }
        let key = OrderListKey.key(for: query)
        switch try await cache.lookup(tenantID: tenantID, storeID: store.id, scope: .orderList, key: key) {
        case .hit(let page):
            ServiceMetrics.cacheLookup(.orderList, hit: true)
            return (page, true)
        case .miss(let since):
            ServiceMetrics.cacheLookup(.orderList, hit: false)
            let page = try await fetchList(tenantID: tenantID, store: store, query: query)
            await fill(tenantID: tenantID, storeID: store.id, scope: .orderList, key: key, value: page, ttl: ttl, since: since)
            return (page, false)
        }
    }

    // MARK: Upstream

    /// The store's OrderDesk API with freshly decrypted credentials, after taking `tokens` from its
    /// upstream bucket. Credentials come first, so an unknown store costs no token.
    func upstream(tenantID: UUID, store: RegisteredStore, tokens: Double) async throws -> StoreAPI {
        let credentials = try await stores.credentials(tenantID: tenantID, id: store.id)
        try await bucket.take(tokens, tenantID: tenantID, storeID: store.id)
        let (bucket, logger, storeID) = (self.bucket, self.logger, store.id)
        return orderDesk.store(credentials) { wait in
            do {
                try await bucket.holdOff(for: wait, tenantID: tenantID, storeID: storeID)
            } catch {
                logger.warning("could not record OrderDesk's Retry-After in the upstream bucket", metadata: ["error": "\(error)"])
            }
        }
    }

    private func fetchOrder(
        tenantID: UUID, store: RegisteredStore, orderID: String, includeHistory: Bool
    ) async throws -> JSONValue {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        return try await upstreamSlots.withSlot(tenantID: tenantID) {
            try await api.getOrder(orderID, includeHistory: includeHistory).json
        }
    }

    private func fetchList(tenantID: UUID, store: RegisteredStore, query: OrderQuery) async throws -> JSONValue {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        return try await upstreamSlots.withSlot(tenantID: tenantID) { try await api.listOrders(query).listJSON }
    }

    // MARK: Cache

    /// A failed fill costs only a later cache miss, never the read that fetched the value.
    func fill(
        tenantID: UUID, storeID: UUID, scope: OrderCache.Scope, key: String, value: JSONValue, ttl: Duration,
        since: String
    ) async {
        do {
            try await cache.fill(
                tenantID: tenantID, storeID: storeID, scope: scope, key: key, value: value, ttl: ttl, since: since)
        } catch {
            logger.warning(
                "could not cache an OrderDesk response", metadata: ["scope": "\(scope.rawValue)", "error": "\(error)"])
        }
    }

    /// Invalidation after a mutation OrderDesk may have applied. A failure is logged, not thrown: the
    /// mutation itself happened, and reporting it as failed would invite a duplicate retry; the stale
    /// entries then expire within their TTL.
    func invalidateAfterMutation(tenantID: UUID, storeID: UUID, orderID: String?) async {
        await invalidateAfterMutation(tenantID: tenantID, storeID: storeID, orderIDs: orderID.map { [$0] } ?? [])
    }

    /// `invalidateAfterMutation` for several orders at once (one transaction).
    func invalidateAfterMutation(tenantID: UUID, storeID: UUID, orderIDs: [String]) async {
        do {
            try await cache.invalidate(tenantID: tenantID, storeID: storeID, orderIDs: orderIDs)
        } catch {
            logger.error(
                "could not invalidate the order cache after a mutation; entries expire with their TTL",
                metadata: ["store": "\(storeID)", "error": "\(error)"])
        }
    }
}
