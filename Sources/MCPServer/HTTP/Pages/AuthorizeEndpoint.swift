import App
import Hummingbird

/// `GET /oauth/authorize` (OAuth 2.1 §4.1.1): checks the request, keeps it server-side bound to this
/// browser (`__Host-odmcp_browser`, set when absent) and sends the browser to sign in, or straight to
/// consent when it already has a web session.
struct AuthorizeEndpoint: Sendable {
    let services: PageServices

    func get(_ request: Request) async throws -> PageResponse {
        guard let fields = PageServices.query(request) else {
            return MessageView.page(
                "This sign-in link is broken", "Its query string is not valid. Start again from your application.",
                status: .badRequest)
        }
        let clientID: String
        let redirectURI: String
        switch AuthorizationParameters.clientAndRedirect(fields) {
        case .success(let pair): (clientID, redirectURI) = pair
        case .failure(let refusal): return Self.page(for: refusal)
        }
        let client: OAuthClient
        do {
            client = try await services.clients.resolve(clientID)
        } catch {
            return Self.page(for: error)
        }
        guard client.allowsRedirect(to: redirectURI) else { return Self.page(for: .redirectMismatch) }

        let accepted: AuthorizationParameters.Accepted
        switch AuthorizationParameters.validate(fields, resource: services.resource.resource) {
        case .success(let value): accepted = value
        case .failure(let refusal):
            // A page, not a redirect: see `MessageView.authorizationRefused`.
            return MessageView.authorizationRefused(
                code: refusal.code, description: refusal.description, host: ConsentView.redirectHost(redirectURI),
                location: AuthorizationParameters.refusalLocation(
                    refusal, redirectURI: redirectURI, state: AuthorizationParameters.echoedState(fields),
                    issuer: services.issuer))
        }
        // Every request of this browser shares its value; the cookie is renewed so that it outlives
        // the newest request.
        let browser = PageServices.browser(of: request) ?? AuthorizationRequestStore.newBrowser()
        let requestID: String
        do {
            requestID = try await services.requests.save(
                AuthorizationRequest(
                    clientID: client.clientID, clientName: client.name, redirectURI: redirectURI, state: accepted.state,
                    codeChallenge: accepted.codeChallenge, scopes: accepted.scopes, resource: services.resource.resource),
                browser: browser)
        } catch is AuthorizationRequestStore.Invalid {
            return MessageView.page("Invalid request", "A value of this request is too long.", status: .badRequest)
        }
        let next = try await services.session(of: request) == nil ? "/signin" : "/consent"
        var response = PageResponse.redirect(to: next + "?" + URLQuery.encode([("request", requestID)]))
        response.cookies.append(PageCookie.set(PageCookie.browser, value: browser, maxAge: services.requests.ttl))
        return response
    }

    /// A client that could not be resolved. A refused metadata document is named by its code word
    /// only: no HTTP status, host or other detail of the fetch, so the page is no probe of what the
    /// server can reach. A lookup that could not be made now (the database, or the metadata fetches
    /// at their limit) is a 503.
    static func page(for error: OAuthClientLookupError) -> PageResponse {
        let again = "Try again in a moment."
        switch error {
        case .unavailable:
            return MessageView.page(
                "Try again in a moment", "The server could not look up this application right now.", again,
                status: .serviceUnavailable)
        case .metadata(let refusal) where refusal.code == .unavailable:
            return MessageView.page(
                "Try again in a moment", "The application's metadata document could not be fetched right now.", again,
                status: .serviceUnavailable)
        case .metadata(let refusal):
            return MessageView.page(
                "Unknown application",
                "The application's metadata document could not be used (\(refusal.code.rawValue)).", status: .badRequest)
        case .unknownClient, .metadataDocumentsDisabled:
            return MessageView.page("Unknown application", error.description, status: .badRequest)
        }
    }

    static func page(for refusal: AuthorizationParameters.PageRefusal) -> PageResponse {
        switch refusal {
        case .missingClientID:
            MessageView.page(
                "Unknown application", "The request names no application (client_id is missing).", status: .badRequest)
        case .missingRedirectURI:
            MessageView.page(
                "Invalid request", "The request says nowhere to return to (redirect_uri is missing).", status: .badRequest)
        case .redirectMismatch:
            MessageView.page(
                "Invalid request",
                "The address this request would return to (redirect_uri) is not one the application registered, so "
                    + "this server will not send you there.", status: .badRequest)
        case .malformedClientOrRedirect:
            MessageView.page(
                "Invalid request",
                "The application's id (client_id) or the address to return to (redirect_uri) is not a valid URL "
                    + "(too long, or characters a URL cannot hold).", status: .badRequest)
        }
    }
}
