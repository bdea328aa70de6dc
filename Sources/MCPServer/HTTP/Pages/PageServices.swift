import App
import Cryptography
import Hummingbird
import Logging
import NIOCore
import Postgres

/// What the browser pages share: the OAuth stores, the sign-in stores, the mail sender and the
/// settings. Built once per router (`PageRoutes`).
struct PageServices: Sendable {
    let resource: ProtectedResource
    let settings: SignInConfiguration
    let database: Database
    let requests: AuthorizationRequestStore
    let links: MagicLinkStore
    let sessions: WebSessionStore
    let clients: OAuthClientDirectory
    let limiter: SignInLimiter
    let grants: GrantStore
    let stores: StoreRegistry
    let audit: AuditLog
    /// Nil when no mail can be sent.
    let mail: SignInMailQueue?
    let csrf: PageCSRF
    let logger: Logger

    /// The issuer (`iss` of every authorization response) and the base of every link we mail.
    var issuer: String { resource.publicBaseURL }

    /// The live web session of the browser, from its `__Host-odmcp_web` cookie.
    func session(of request: Request) async throws -> (id: String, session: WebSession)? {
        guard let id = PageCookie.value(PageCookie.session, in: request.headers),
            let session = try await sessions.find(id)
        else { return nil }
        return (id, session)
    }

    /// The browser value of the request's `__Host-odmcp_browser` cookie, when it is well formed.
    static func browser(of request: Request) -> String? {
        PageCookie.value(PageCookie.browser, in: request.headers).flatMap {
            AuthorizationRequestStore.isWellFormedBrowser($0) ? $0 : nil
        }
    }

    /// The pending authorization request `id`, as the browser sending `request` may see it.
    func pending(_ id: String, for request: Request) async throws -> AuthorizationRequestLookup {
        try await requests.load(id, browser: Self.browser(of: request))
    }

    /// The page for a lookup that found no request this browser may use; nil when it found one.
    static func refusal(_ lookup: AuthorizationRequestLookup) -> PageResponse? {
        switch lookup {
        case .found: nil
        case .otherBrowser: MessageView.otherBrowser()
        case .none: MessageView.requestExpired()
        }
    }

    /// The fields of a form POST: `application/x-www-form-urlencoded`, at most 16 KiB.
    static func form(_ request: Request) async throws -> FormFields? {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        guard type?.lowercased() == "application/x-www-form-urlencoded" else { return nil }
        guard var buffer = try? await request.body.collect(upTo: 16 * 1024),
            let text = buffer.readString(length: buffer.readableBytes)
        else { return nil }
        return FormFields(parsing: Substring(text))
    }

    /// The fields of the request's query string.
    static func query(_ request: Request) -> FormFields? {
        FormFields(parsing: Substring(request.uri.query ?? ""))
    }

    /// A request id as the pages pass it along: 43 base64url characters, or nothing.
    static func requestID(_ fields: FormFields) -> String? {
        guard let id = fields.single("request"), id.utf8.count == 43, id.utf8.allSatisfy(Base64URL.isAlphabet)
        else { return nil }
        return id
    }
}
