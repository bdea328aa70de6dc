import App
import Hummingbird
import Logging

/// The route of OrderDesk's webhooks, `/webhooks/orderdesk`, behind the same exchange middleware as
/// `/mcp` (client address, `X-Request-ID`, failures to answers) and nothing else: OrderDesk sends
/// no Origin, no bearer token and no MCP headers; the signature is its credential.
struct WebhookRoutes {
    let endpoint: WebhookEndpoint
    let trustedProxies: TrustedProxies
    let logger: Logger

    func add(to router: Router<MCPRequestContext>) {
        let endpoint = self.endpoint
        let group = router.group("/webhooks/orderdesk")
            .add(middleware: ExchangeMiddleware(trustedProxies: trustedProxies, logger: logger))
        group.post { request, context in try await endpoint.post(request, context: context) }
        for method in [HTTPRequest.Method.get, .put, .patch, .delete, .options] {
            group.on("", method: method) { request, context in endpoint.methodNotAllowed(request, context: context) }
        }
    }
}
