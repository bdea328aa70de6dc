import App
import Cryptography
import Hummingbird
import Logging
import Postgres

/// The browser side of OAuth sign-in, routed only when `PUBLIC_BASE_URL` is set:
/// `GET /oauth/authorize`, `GET|POST /signin`, `GET /signin/sent`, `GET /signin/link`,
/// `GET|POST /consent`, `GET /account/grants`, `POST /account/grants/revoke`, `GET /assets/site.css`.
///
/// Behind the exchange middleware (client address, `X-Request-ID`); every answer carries the
/// pages' security headers (`PageResponse`), and a failure is a plain error page, never a detail.
struct PageRoutes {
    let services: PageServices
    /// The per-address budget of the pages anyone can call without a session and that write rows or
    /// fetch (`GET /oauth/authorize`, `GET|POST /signin`, `GET /signin/link`): the JSON routes'
    /// `OAUTH_REQUESTS_PER_MINUTE` / `OAUTH_REQUESTS_BURST`, counted separately.
    let admission: UnauthenticatedAdmissionConfiguration
    let trustedProxies: TrustedProxies
    let logger: Logger

    /// Builds the pages' services around `signIn` (the mail queue, the sender and the metadata
    /// fetcher), which the server's service group owns and closes.
    init(
        resource: ProtectedResource, settings: SignInConfiguration, signIn: SignInServices, database: Database,
        stores: StoreRegistry, audit: AuditLog, keyring: EncryptionKeyring, admission: UnauthenticatedAdmissionConfiguration,
        trustedProxies: TrustedProxies, logger: Logger
    ) {
        let csrf: PageCSRF
        do {
            csrf = try PageCSRF(keyring: keyring)
        } catch {
            // HKDF fails only if OpenSSL is broken; a per-process key keeps the form working on one replica.
            logger.error("could not derive the sign-in form key; using a per-process key", metadata: ["error": "\(error)"])
            csrf = PageCSRF(key: SecureRandom.bytes(32))
        }
        services = PageServices(
            resource: resource, settings: settings, database: database, requests: AuthorizationRequestStore(database: database),
            links: signIn.links, sessions: WebSessionStore(database: database, ttl: settings.webSessionTTL),
            clients: OAuthClientDirectory(database: database, fetcher: signIn.fetcher),
            limiter: SignInLimiter(perAddressPerHour: settings.perAddressPerHour, perIPPerHour: settings.perIPPerHour),
            grants: GrantStore(database: database), stores: stores, audit: audit, mail: signIn.mail, csrf: csrf,
            logger: logger)
        self.admission = admission
        self.trustedProxies = trustedProxies
        self.logger = logger
    }

    func add(to router: Router<MCPRequestContext>) {
        let group = router.group().add(middleware: ExchangeMiddleware(trustedProxies: trustedProxies, logger: logger))
        let authorize = AuthorizeEndpoint(services: services)
        let signIn = SignInEndpoint(services: services)
        let link = SignInLinkEndpoint(services: services)
        let consent = ConsentEndpoint(services: services)
        let grants = GrantsEndpoint(services: services)
        let logger = self.logger
        let admission = UnauthenticatedAdmission(configuration: self.admission)
        @Sendable func answer(_ context: MCPRequestContext, _ body: () async throws -> PageResponse) async -> Response {
            do {
                return try await body().response
            } catch {
                logger.error("page failed", metadata: ["request_id": "\(context.correlationID)", "error": "\(error)"])
                return MessageView.failure().response
            }
        }
        /// `answer`, after the per-address budget (429 before anything is read).
        @Sendable func admitted(_ context: MCPRequestContext, _ body: () async throws -> PageResponse) async -> Response {
            if case .denied(let seconds) = admission.admit(address: context.clientIP) {
                return MessageView.tooManyRequests(retryAfter: seconds).response
            }
            return await answer(context, body)
        }
        group.get("/oauth/authorize") { request, context in await admitted(context) { try await authorize.get(request) } }
        group.get("/signin") { request, context in await admitted(context) { try await signIn.form(request) } }
        group.post("/signin") { request, context in
            await admitted(context) {
                try await signIn.post(request, correlationID: context.correlationID, clientIP: context.clientIP)
            }
        }
        group.get("/signin/sent") { request, context in await answer(context) { signIn.sent(request) } }
        group.get("/signin/link") { request, context in await admitted(context) { try await link.get(request) } }
        group.get("/consent") { request, context in await answer(context) { try await consent.get(request) } }
        group.post("/consent") { request, context in
            await answer(context) {
                try await consent.post(request, correlationID: context.correlationID, clientIP: context.clientIP)
            }
        }
        group.get("/account/grants") { request, context in await answer(context) { try await grants.get(request) } }
        group.post("/account/grants/revoke") { request, context in
            await answer(context) {
                try await grants.revoke(request, correlationID: context.correlationID, clientIP: context.clientIP)
            }
        }
        group.get("/assets/site.css") { _, _ in Stylesheet.response() }
    }
}
