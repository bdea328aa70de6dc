import App
import Hummingbird

/// `GET /signin/link?token=…&request=…`: the link from the mail. Redeemed only in the browser that
/// asked for it (its binding cookie); then a web session starts and the browser goes on to consent
/// (or to its grants when the sign-in was not for an application).
///
/// A link opened elsewhere (another browser, a mail scanner) is refused and stays usable.
struct SignInLinkEndpoint: Sendable {
    let services: PageServices

    func get(_ request: Request) async throws -> PageResponse {
        let fields = PageServices.query(request) ?? FormFields(parsing: "")!
        let binding = PageCookie.value(PageCookie.binding, in: request.headers)
        let requestID = PageServices.requestID(fields)
        // The link is not redeemed for a request another browser started.
        if let requestID, try await services.pending(requestID, for: request) == .otherBrowser {
            return MessageView.otherBrowser()
        }
        let outcome = try await services.links.redeem(token: fields.single("token") ?? "", binding: binding)
        guard case .signedIn(let tenantID, let email) = outcome else { return Self.page(for: outcome) }

        if let previous = PageCookie.value(PageCookie.session, in: request.headers) {
            try await services.sessions.end(previous)
        }
        let sessionID: String
        do {
            sessionID = try await services.sessions.create(tenantID: tenantID, email: email)
        } catch is WebSessionStore.TenantUnavailable {
            return Self.page(for: .unknown)
        }
        let next = requestID.map { "/consent?" + URLQuery.encode([("request", $0)]) } ?? "/account/grants"
        var response = PageResponse.redirect(to: next)
        response.cookies.append(PageCookie.set(PageCookie.session, value: sessionID, maxAge: services.sessions.ttl))
        return response
    }

    static func page(for outcome: MagicLinkRedemption) -> PageResponse {
        let again = "Ask for a new link from the sign-in page of your application."
        return switch outcome {
        case .expired:
            MessageView.page("This sign-in link has expired", "Links work for a short time only.", again, status: .badRequest)
        case .alreadyUsed:
            MessageView.page(
                "This sign-in link was already used", "Each link works once. If that was not you, tell your administrator.",
                again, status: .badRequest)
        case .wrongBrowser:
            MessageView.page(
                "Open this link in the browser where you asked for it",
                "This link was opened in another browser (or the sign-in cookie is gone). For your safety it works only in "
                    + "the browser that asked for it. It is still valid there.", status: .badRequest)
        case .unknown, .signedIn:
            MessageView.page("This sign-in link is not valid", "It may be incomplete or too old.", again, status: .badRequest)
        }
    }
}
