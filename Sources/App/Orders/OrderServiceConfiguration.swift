/// How the order services cache, shape upstream traffic, serialize updates and remember idempotency
/// keys.
public struct OrderServiceConfiguration: Sendable, Hashable {
    /// How long one fetched order is served from the shared cache. Zero turns order caching off.
    public var orderTTL: Duration
    /// How long one order list (one exact set of filters and paging) is served from the cache. Zero
    /// turns list caching off.
    public var listTTL: Duration
    /// Tokens the per-store upstream bucket holds when full: calls that may go to OrderDesk at once.
    public var upstreamBurst: Double
    /// Tokens the per-store upstream bucket regains per second.
    public var upstreamPerSecond: Double
    /// How long a call waits for an upstream token, or for one of its tenant's upstream slots, before
    /// it fails with `rate_limited`.
    public var upstreamMaxWait: Duration
    /// OrderDesk calls of one tenant in flight at once on this replica; more wait (up to
    /// `upstreamMaxWait`) for one to finish. Keeps one tenant's slow OrderDesk from taking every
    /// transfer thread of the client (`OrderDeskConfiguration.maxConnections`).
    public var upstreamConcurrencyPerTenant: Int
    /// How long an update waits for another update of the same order (on any replica) to finish.
    public var updateLockTimeout: Duration
    /// How long the result of a create with an idempotency key is replayed.
    public var idempotencyTTL: Duration

    /// The defaults mirror OrderDesk's own leaky bucket (20 calls, 3 more per second) and DESIGN §7.
    public init(
        orderTTL: Duration = .seconds(15), listTTL: Duration = .seconds(15), upstreamBurst: Double = 20,
        upstreamPerSecond: Double = 3, upstreamMaxWait: Duration = .milliseconds(2_000),
        upstreamConcurrencyPerTenant: Int = 4, updateLockTimeout: Duration = .seconds(30),
        idempotencyTTL: Duration = .seconds(24 * 60 * 60)
    ) {
        self.orderTTL = max(orderTTL, .zero)
        self.listTTL = max(listTTL, .zero)
        self.upstreamBurst = upstreamBurst.isFinite ? max(upstreamBurst, 1) : 20
        self.upstreamPerSecond = upstreamPerSecond.isFinite ? max(upstreamPerSecond, 0.001) : 3
        self.upstreamMaxWait = max(upstreamMaxWait, .zero)
        self.upstreamConcurrencyPerTenant = max(upstreamConcurrencyPerTenant, 1)
        self.updateLockTimeout = max(updateLockTimeout, .zero)
        self.idempotencyTTL = max(idempotencyTTL, .seconds(1))
    }

    /// Reads, each optional:
    /// - `ORDER_CACHE_TTL_SECONDS` (default 15; 0 to 86400, 0 = no order caching)
    /// - `ORDER_LIST_CACHE_TTL_SECONDS` (default 15; 0 to 86400, 0 = no list caching)
    /// - `UPSTREAM_BUCKET_BURST` (default 20; 1 to 100000)
    /// - `UPSTREAM_BUCKET_PER_SECOND` (default 3; 0.001 to 100000)
    /// - `UPSTREAM_MAX_WAIT_MS` (default 2000; 0 to 600000)
    /// - `UPSTREAM_MAX_CONCURRENT_PER_TENANT` (default 4; 1 to 1000)
    /// - `ORDER_LOCK_TIMEOUT_MS` (default 30000; 0 to 600000)
    ///
    /// The idempotency window is fixed at 24 hours.
    public init(reader: EnvironmentReader) throws {
        self.init(
            orderTTL: .seconds(
                try reader.integer("ORDER_CACHE_TTL_SECONDS", default: 15, range: 0...86_400)),
            listTTL: .seconds(
                try reader.integer("ORDER_LIST_CACHE_TTL_SECONDS", default: 15, range: 0...86_400)),
            upstreamBurst: try reader.number("UPSTREAM_BUCKET_BURST", default: 20, range: 1...100_000),
            upstreamPerSecond: try reader.number("UPSTREAM_BUCKET_PER_SECOND", default: 3, range: 0.001...100_000),
            upstreamMaxWait: .milliseconds(
                try reader.integer("UPSTREAM_MAX_WAIT_MS", default: 2_000, range: 0...600_000)),
            upstreamConcurrencyPerTenant: try reader.integer("UPSTREAM_MAX_CONCURRENT_PER_TENANT", default: 4, range: 1...1_000),
            updateLockTimeout: .milliseconds(
                try reader.integer("ORDER_LOCK_TIMEOUT_MS", default: 30_000, range: 0...600_000)))
    }
}
