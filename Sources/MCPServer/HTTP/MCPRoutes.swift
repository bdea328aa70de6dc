import App
import Hummingbird
import Logging

/// The routes of `/mcp` and the middlewares each passes, outermost first: the exchange (client
/// address, `X-Request-ID`, failures to answers), Origin, media types (POST), protocol version,
/// authentication, the JSON-RPC body (POST), the protocol era (POST) and the session (legacy era). GET, PUT, PATCH and OPTIONS get 405
/// before any of that (they do nothing, so there is nothing to protect).
struct MCPRoutes {
    let endpoint: MCPEndpoint
    let authenticator: Authenticator
    let allowedOrigins: Set<String>
    let trustedProxies: TrustedProxies
    let maximumBodyBytes: Int
    let logger: Logger

    func add(to router: Router<MCPRequestContext>) {
        let endpoint = self.endpoint
        let exchange = ExchangeMiddleware(trustedProxies: trustedProxies, logger: logger)
        router.group("/mcp")
            .add(middleware: exchange)
            .add(middleware: OriginMiddleware(allowedOrigins: allowedOrigins))
            .add(middleware: MediaTypeMiddleware())
            .add(middleware: ProtocolVersionMiddleware(maximumBodyBytes: maximumBodyBytes))
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator, refusals: endpoint.refusals))
            .add(middleware: JSONRPCBodyMiddleware(maximumBodyBytes: maximumBodyBytes))
            .add(middleware: RevisionMiddleware())
            .add(
                middleware: SessionMiddleware(
                    sessions: endpoint.services.sessions, snapshots: endpoint.services.snapshots,
                    rateLimiter: endpoint.services.rateLimiter,
                    sessionKeys: endpoint.services.sessionKeys,
                    allowSessionAuthentication: endpoint.allowSessionAuthentication, refusals: endpoint.refusals,
                    registry: endpoint.pipeline.registry)
            )
            .post { request, context in try await endpoint.post(request, context: context) }
            .delete { request, context in try await endpoint.delete(request, context: context) }
        let refused = router.group("/mcp").add(middleware: exchange)
        for method in [HTTPRequest.Method.get, .put, .patch, .options] {
            refused.on("", method: method) { request, context in try endpoint.methodNotAllowed(request, context: context) }
        }
    }
}
