import App
import Foundation
import Hummingbird
import Logging
import OrderDesk
import Postgres

/// Builds the services from the configuration, serves `/mcp`, `/healthz`, `/readyz` and `/metrics`, and
/// shuts everything down in order on SIGTERM/SIGINT (in-flight requests finish, then the pool drains).
public struct MCPServerApplication: Sendable {
    let configuration: ServerConfiguration
    let logger: Logger
    let metrics: PrometheusMetrics?

    /// `metrics`: the registry `GET /metrics` shows (see `PrometheusMetrics.bootstrap()`); nil
    /// leaves `/metrics` unrouted.
    public init(configuration: ServerConfiguration, logger: Logger, metrics: PrometheusMetrics?) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    /// Runs until a termination signal. `onListening` receives the bound base URL.
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        let database = Database(configuration: configuration.database, logger: logger)
        let hasher = KeyHasher()
        let orderDesk = OrderDeskClient(configuration: configuration.orderDesk, logger: logger)
        let stores = StoreRegistry(database: database, keyring: configuration.keyring, orderDesk: orderDesk)
        let services = ServerServices(
            database: database,
            authenticator: Authenticator(
                database: database, pepper: configuration.pepper, hasher: hasher,
                configuration: configuration.authentication),
            sessions: SessionStore(database: database, idleTimeout: configuration.sessionIdleTimeout),
            sessionKeys: SessionKeyBinding(database: database),
            stores: stores,
            rateLimiter: TenantRateLimiter(database: database, configuration: configuration.rateLimits),
            rateLimits: configuration.rateLimits,
            audit: AuditLog(database: database, replicaID: configuration.replicaID),
            orders: OrderService(
                database: database, stores: stores, orderDesk: orderDesk, configuration: configuration.orders),
            orderDesk: orderDesk)
        let endpoint = MCPEndpoint(
            services: services,
            pipeline: ToolCallPipeline(registry: .standard, services: services, replicaID: configuration.replicaID),
            validation: RequestValidation(allowedOrigins: configuration.allowedOrigins),
            allowSessionAuthentication: configuration.allowSessionAuthentication,
            authFailureAudit: AuthFailureAuditSampler(perAddress: configuration.authentication.failuresPerIPPerMinute),
            trustedProxies: configuration.trustedProxies,
            maximumBodyBytes: configuration.maximumBodyBytes, logger: logger)
        let health = HealthEndpoints(database: database)

        let router = Router(context: MCPRequestContext.self)
        router.post("/mcp") { request, context in await endpoint.post(request, context: context) }
        router.get("/mcp") { request, context in await endpoint.get(request, context: context) }
        router.delete("/mcp") { request, context in await endpoint.delete(request, context: context) }
        for method in [HTTPRequest.Method.put, .patch, .options] {
            router.on("/mcp", method: method) { request, context in endpoint.otherMethod(request, context: context) }
        }
        router.get("/healthz") { request, context in health.health(request, context: context) }
        router.get("/readyz") { request, context in await health.ready(request, context: context) }
        if let metrics {
            router.get("/metrics") { _, _ in metrics.response() }
        }

        let host = configuration.host
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                onListening("http://\(host):\(channel.localAddress?.port ?? 0)")
            },
            logger: logger)
        // Expired cache rows, sessions and counters are deleted in the background; replicas take turns
        // (the sweep runs under an advisory lock), so any number of them can run this loop.
        let sweeper = Task { await CacheSweeper(service: services.orders, interval: .seconds(60), logger: logger).run() }
        // Refused logins beyond the audited share get their summary row soon after their minute.
        let authFailureSummaries = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(15))
                await endpoint.auditSuppressedAuthFailures()
            }
        }
        do {
            try await app.runService()
        } catch {
            sweeper.cancel()
            authFailureSummaries.cancel()
            await shutdown(database: database, hasher: hasher, orderDesk: orderDesk)
            throw error
        }
        sweeper.cancel()
        authFailureSummaries.cancel()
        await shutdown(database: database, hasher: hasher, orderDesk: orderDesk)
    }

    private func shutdown(database: Database, hasher: KeyHasher, orderDesk: OrderDeskClient) async {
        await orderDesk.shutdown()
        await hasher.shutdown()
        await database.shutdown()
        logger.info("stopped")
    }
}
