import App
import HTTPTypes
import Hummingbird
import Logging

/// The authorization server's JSON routes, present only with `PUBLIC_BASE_URL`:
/// `GET /.well-known/oauth-protected-resource` (and `…/mcp`), `GET /.well-known/oauth-authorization-server`
/// (and `/.well-known/openid-configuration`), `POST /oauth/token`, `POST /oauth/register`, `POST /oauth/revoke`.
///
/// Behind `ExchangeMiddleware` (client address, `X-Request-ID`) and `OAuthAdmissionMiddleware`
/// (the per-address budget, CORS for any origin). No Origin check, no credential, no MCP headers:
/// browsers' and native clients' discovery and token requests come from anywhere and carry no cookie.
struct AuthorizationServerRoutes {
    let resource: ProtectedResource
    let configuration: AuthorizationServerConfiguration
    let grants: GrantStore
    let registration: ClientRegistration
    let audit: AuditLog
    let trustedProxies: TrustedProxies
    let logger: Logger

    func add(to router: Router<MCPRequestContext>) {
        let metadata = OAuthMetadata(resource: resource)
        let token = TokenEndpoint(grants: grants, audit: audit, logger: logger)
        let register = RegistrationEndpoint(
            registration: registration, admission: UnauthenticatedAdmission(configuration: configuration.registration),
            logger: logger)
        let group = router.group()
            .add(middleware: ExchangeMiddleware(trustedProxies: trustedProxies, logger: logger))
            .add(
                middleware: OAuthAdmissionMiddleware(admission: UnauthenticatedAdmission(configuration: configuration.admission)))

        for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
            Self.route(group, path, method: .get) { request, context in metadata.protectedResource(request, context: context) }
        }
        for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
            Self.route(group, path, method: .get) { request, context in metadata.authorizationServer(request, context: context) }
        }
        Self.route(group, "/oauth/token", method: .post) { request, context in await token.token(request, context: context) }
        Self.route(group, "/oauth/revoke", method: .post) { request, context in await token.revoke(request, context: context) }
        Self.route(group, "/oauth/register", method: .post) { request, context in
            await register.register(request, context: context)
        }
    }

    /// `handler` for `method`, the CORS preflight for OPTIONS, and 405 with `Allow` for the rest.
    private static func route(
        _ group: RouterGroup<MCPRequestContext>, _ path: String, method: HTTPRequest.Method,
        _ handler: @escaping @Sendable (Request, MCPRequestContext) async throws -> Response
    ) {
        let allow = "\(method.rawValue), OPTIONS"
        group.on(RouterPath(path), method: method, use: handler)
        group.on(RouterPath(path), method: .options) { _, context in
            OAuthAnswers.preflight(methods: allow, correlationID: context.correlationID)
        }
        for other in [HTTPRequest.Method.get, .post, .put, .patch, .delete] where other != method {
            group.on(RouterPath(path), method: other) { _, context in
                OAuthAnswers.methodNotAllowed(allow: allow, correlationID: context.correlationID)
            }
        }
    }
}

/// The per-address budget of the authorization server's routes (429 with `Retry-After` beyond it,
/// before anything is read), and `Access-Control-Allow-Origin: *` on every answer.
struct OAuthAdmissionMiddleware: RouterMiddleware {
    typealias Context = MCPRequestContext
    let admission: UnauthenticatedAdmission

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        if case .denied(let seconds) = admission.admit(address: context.clientIP) {
            response = OAuthAnswers.tooManyRequests(retryAfter: seconds, correlationID: context.correlationID)
        } else {
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }
}
