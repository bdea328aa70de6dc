import App
import Foundation
import Hummingbird
import Logging
import OrderDesk
import Postgres
import ServiceLifecycle

/// Builds the services from the configuration, serves `/mcp`, `/healthz`, `/readyz` and `/metrics`,
/// and runs everything as one `ServiceGroup`: on SIGTERM/SIGINT the HTTP server stops first and
/// finishes its in-flight requests, then the background jobs stop, then the upstream client, the
/// key hasher and the database pool close, in that order.
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
        let services = makeServices(database: database, hasher: hasher, orderDesk: orderDesk)
        let refusals = makeRefusals(services: services)

        let host = configuration.host
        let app = Application(
            router: makeRouter(services: services, refusals: refusals),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                onListening("http://\(host):\(channel.localAddress?.port ?? 0)")
            },
            logger: logger)
        let logger = self.logger
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: ClosingService(description: "database") { await database.shutdown() }),
                    .init(service: ClosingService(description: "key hasher") { await hasher.shutdown() }),
                    .init(service: ClosingService(description: "OrderDesk client") { await orderDesk.shutdown() }),
                    // After the HTTP server: queued sign-in mail is sent (within a deadline) while the
                    // database is still open, then the mail and metadata threads end.
                    .init(
                        service: ClosingService(description: "sign-in mail and metadata fetches") {
                            await services.signIn?.shutdown()
                        }),
                    // Expired cache rows, sessions and counters are deleted in the background; replicas
                    // take turns (the sweep runs under an advisory lock).
                    .init(
                        service: LoopService(description: "sweeper") {
                            await CacheSweeper(service: services.orders, interval: .seconds(60), logger: logger).run()
                        }),
                    // The audit log's monthly partitions, kept three months ahead (`migrate up` does it too).
                    .init(
                        service: PeriodicService(description: "audit partitions", interval: .seconds(3600)) {
                            await AuditPartitions(database: database).maintain(logger: logger)
                        }),
                    // Refused logins beyond the audited share get their summary row soon after their minute.
                    .init(
                        service: PeriodicService(description: "auth failure summaries", interval: .seconds(15)) {
                            await refusals.auditSuppressedAuthFailures()
                        }),
                    .init(service: app),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("stopped")
    }

    /// The services one process shares between all requests.
    func makeServices(database: Database, hasher: KeyHasher, orderDesk: OrderDeskClient) -> ServerServices {
        let stores = StoreRegistry(database: database, keyring: configuration.keyring, orderDesk: orderDesk)
        return ServerServices(
            database: database,
            authenticator: Authenticator(
                database: database, pepper: configuration.pepper, hasher: hasher,
                configuration: configuration.authentication, resource: configuration.resource),
            sessions: SessionStore(database: database, idleTimeout: configuration.sessionIdleTimeout),
            sessionKeys: SessionKeyBinding(database: database),
            stores: stores,
            rateLimiter: TenantRateLimiter(database: database, configuration: configuration.rateLimits),
            rateLimits: configuration.rateLimits,
            audit: AuditLog(database: database, replicaID: configuration.replicaID),
            orders: OrderService(
                database: database, stores: stores, orderDesk: orderDesk, configuration: configuration.orders),
            orderDesk: orderDesk,
            signIn: configuration.resource.flatMap { resource in
                configuration.signIn.map {
                    SignInServices(settings: $0, database: database, issuer: resource.publicBaseURL, logger: logger)
                }
            })
    }

    func makeRefusals(services: ServerServices) -> AuthenticationRefusals {
        AuthenticationRefusals(
            sampler: AuthFailureAuditSampler(perAddress: configuration.authentication.failuresPerIPPerMinute),
            admission: UnauthenticatedAdmission(configuration: configuration.unauthenticatedAdmission),
            audit: services.audit, resource: configuration.resource, logger: logger)
    }

    /// `/mcp` (`MCPRoutes`), `/webhooks/orderdesk` (`WebhookRoutes`), with `PUBLIC_BASE_URL` the
    /// authorization server's JSON routes (`AuthorizationServerRoutes`) and the sign-in pages (`PageRoutes`),
    /// `/healthz`, `/readyz` and, when metrics are on, `/metrics`.
    func makeRouter(services: ServerServices, refusals: AuthenticationRefusals) -> Router<MCPRequestContext> {
        let endpoint = MCPEndpoint(
            services: services,
            pipeline: ToolCallPipeline(
                registry: .standard, services: services, replicaID: configuration.replicaID, refusals: refusals),
            allowSessionAuthentication: configuration.allowSessionAuthentication, refusals: refusals, logger: logger)
        let router = Router(context: MCPRequestContext.self)
        MCPRoutes(
            endpoint: endpoint, authenticator: services.authenticator, allowedOrigins: configuration.allowedOrigins,
            trustedProxies: configuration.trustedProxies, maximumBodyBytes: configuration.maximumBodyBytes, logger: logger
        ).add(to: router)
        WebhookRoutes(
            endpoint: WebhookEndpoint(
                receiver: WebhookReceiver(database: services.database, stores: services.stores, logger: logger),
                configuration: configuration.webhooks,
                admission: UnauthenticatedAdmission(configuration: configuration.webhooks.admission), logger: logger),
            trustedProxies: configuration.trustedProxies, logger: logger
        ).add(to: router)
        if let resource = configuration.resource, let authorizationServer = configuration.authorizationServer {
            AuthorizationServerRoutes(
                resource: resource, configuration: authorizationServer,
                grants: GrantStore(
                    database: services.database, accessTokenTTL: authorizationServer.accessTokenTTL,
                    refreshTokenTTL: authorizationServer.refreshTokenTTL),
                registration: ClientRegistration(database: services.database), audit: services.audit,
                trustedProxies: configuration.trustedProxies, logger: logger
            ).add(to: router)
        }
        if let resource = configuration.resource, let settings = configuration.signIn, let signIn = services.signIn {
            PageRoutes(
                resource: resource, settings: settings, signIn: signIn, database: services.database, stores: services.stores,
                audit: services.audit, keyring: configuration.keyring,
                admission: configuration.authorizationServer?.admission ?? AuthorizationServerConfiguration().admission,
                trustedProxies: configuration.trustedProxies, logger: logger
            ).add(to: router)
        }
        let health = HealthEndpoints(database: services.database)
        router.get("/healthz") { request, context in health.health(request, context: context) }
        router.get("/readyz") { request, context in await health.ready(request, context: context) }
        if let metrics {
            router.get("/metrics") { _, _ in metrics.response() }
        }
        return router
    }
}
