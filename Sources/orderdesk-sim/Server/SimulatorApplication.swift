import Foundation
import Hummingbird
import Logging
import NIOCore

/// Wires the simulator together: stores, the middleware chain and the routes.
///
/// Middleware order (outermost first) and why:
/// 1. request log: records every API request with its final status, injected faults included;
/// 2. latency (`--latency-ms`);
/// 3. fault injection: before authentication, like a failing proxy in front of OrderDesk;
/// 4. authentication (sets the request's store);
/// 5. rate limit (needs the store; adds `X-Tokens-Remaining`);
/// 6. error envelope: route errors and 404s become OrderDesk error bodies.
/// The admin routes are registered before any middleware, so none of it applies to them.
struct SimulatorApplication {
    struct Settings {
        var host: String
        var port: Int
        var stores: [StoreConfiguration]
        var seed: UInt64
        var rateLimited: Bool
        var latencyMilliseconds: Int
        /// How long a webhook receiver gets to answer one post.
        var webhookTimeout: Duration = .seconds(30)
    }

    let settings: Settings
    let database: StoreDatabase
    let faults = FaultQueue()
    let log: RequestLog
    let limiter: RateLimiter
    let webhooks = WebhookRegistry()
    let dispatcher: WebhookDispatcher

    init(settings: Settings) {
        self.settings = settings
        self.database = StoreDatabase(stores: settings.stores.map { StoreSeeder.seed($0, seed: settings.seed) })
        self.log = RequestLog(secrets: settings.stores.map(\.apiKey))
        self.limiter = RateLimiter(isEnabled: settings.rateLimited)
        self.dispatcher = WebhookDispatcher(
            registry: webhooks, database: database, poster: WebhookPoster(timeout: settings.webhookTimeout))
    }

    func makeRouter() -> Router<SimulatorRequestContext> {
        let router = Router(context: SimulatorRequestContext.self)
        WebhookAdminRoutes(database: database, registry: webhooks, dispatcher: dispatcher).register(on: router)
        AdminRoutes(database: database, faults: faults, log: log, limiter: limiter, webhooks: webhooks).register(on: router)
        router.add(middleware: RequestLogMiddleware(log: log))
        router.add(middleware: LatencyMiddleware(milliseconds: settings.latencyMilliseconds))
        router.add(middleware: FaultInjectionMiddleware(faults: faults))
        router.add(middleware: AuthenticationMiddleware(database: database))
        router.add(middleware: RateLimitMiddleware(limiter: limiter))
        router.add(middleware: ErrorEnvelopeMiddleware())
        StoreRoutes(database: database).register(on: router)
        OrderRoutes(database: database, webhooks: dispatcher).register(on: router)
        OrderWorkflowRoutes(database: database, webhooks: dispatcher).register(on: router)
        OrderItemRoutes(database: database, webhooks: dispatcher).register(on: router)
        ShipmentRoutes(database: database, webhooks: dispatcher).register(on: router)
        InventoryRoutes(database: database).register(on: router)
        return router
    }

    /// Runs until SIGTERM or SIGINT. `onListening` gets the base URL once the port is bound (the real
    /// port when `--port 0` asked for any free one).
    func run(logger: Logger, onListening: @escaping @Sendable (String) -> Void) async throws {
        let host = settings.host
        let app = Application(
            responder: APIPathResponder(wrapped: makeRouter().buildResponder()),
            configuration: .init(address: .hostname(host, port: settings.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let printableHost = host.contains(":") ? "[\(host)]" : host
                onListening("http://\(printableHost):\(port)")
            },
            logger: logger)
        try await app.runService()
    }
}
