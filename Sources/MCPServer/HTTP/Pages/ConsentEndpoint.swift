import App
import Foundation
import Hummingbird
import JSON

/// `GET /consent?request=…` and `POST /consent`: the signed-in member allows or denies a pending
/// authorization request. Allow records the grant, audits it (`oauth.grant_created`) and sends the
/// browser back with a single-use code; Deny sends `access_denied`. Either way the request is
/// consumed, so it cannot be answered twice.
struct ConsentEndpoint: Sendable {
    static let action = "/consent"
    let services: PageServices

    func get(_ request: Request) async throws -> PageResponse {
        let fields = PageServices.query(request) ?? FormFields(parsing: "")!
        let requestID = PageServices.requestID(fields)
        guard let (_, session) = try await services.session(of: request) else {
            return .redirect(to: requestID.map { "/signin?" + URLQuery.encode([("request", $0)]) } ?? "/signin")
        }
        guard let requestID else { return MessageView.requestExpired() }
        let lookup = try await services.pending(requestID, for: request)
        guard let pending = lookup.request else { return PageServices.refusal(lookup) ?? MessageView.requestExpired() }
        let content = ConsentView.Content(
            requestID: requestID, csrf: PageCSRF.sessionToken(secret: session.csrfSecret, action: Self.action),
            request: pending, tenantName: session.tenantName, email: session.email.address,
            stores: try await services.stores.list(tenantID: session.tenantID), checkedScopes: Set(pending.scopes),
            checkedStores: nil)
        return Self.render(content)
    }

    func post(_ request: Request, correlationID: String, clientIP: String?) async throws -> PageResponse {
        guard let fields = try await PageServices.form(request) else {
            return MessageView.page("Invalid request", "The form could not be read.", status: .badRequest)
        }
        guard let (_, session) = try await services.session(of: request),
            PageCSRF.isValidSessionToken(fields.single("csrf"), secret: session.csrfSecret, action: Self.action)
        else { return MessageView.forbidden() }
        guard let requestID = PageServices.requestID(fields), let browser = PageServices.browser(of: request) else {
            return PageServices.requestID(fields) == nil ? MessageView.requestExpired() : MessageView.otherBrowser()
        }
        let lookup = try await services.requests.load(requestID, browser: browser)
        guard let pending = lookup.request else { return PageServices.refusal(lookup) ?? MessageView.requestExpired() }

        switch fields.single("decision") {
        case "deny":
            guard try await services.requests.consume(requestID, browser: browser) != nil else {
                return MessageView.requestExpired()
            }
            return .redirect(to: location(pending, [("error", "access_denied")]))
        case "allow":
            break
        default:
            return MessageView.page("Invalid request", "Choose Allow or Deny.", status: .badRequest)
        }

        let tenantStores = try await services.stores.list(tenantID: session.tenantID)
        var content = ConsentView.Content(
            requestID: requestID, csrf: PageCSRF.sessionToken(secret: session.csrfSecret, action: Self.action),
            request: pending, tenantName: session.tenantName, email: session.email.address, stores: tenantStores,
            checkedScopes: Set(fields.all("scope")).intersection(pending.scopes), checkedStores: nil)
        let scopes = Set(content.checkedScopes.compactMap(OAuthScope.init(rawValue:)))
        guard !scopes.isEmpty else {
            content.problem = "Tick at least one permission, or choose Deny."
            return Self.render(content, status: .badRequest)
        }
        var storeIDs: Set<String>?
        if fields.single("stores") != "all" {
            let chosen = Set(fields.all("store")).intersection(tenantStores.map(\.storeID))
            content.checkedStores = chosen
            guard !chosen.isEmpty else {
                content.problem = "Tick at least one store, or choose all stores."
                return Self.render(content, status: .badRequest)
            }
            storeIDs = chosen
        }

        guard try await services.requests.consume(requestID, browser: browser) != nil else { return MessageView.requestExpired() }
        let grant = try await services.grants.createGrant(
            tenantID: session.tenantID, clientID: pending.clientID, clientName: pending.clientName,
            memberEmail: session.email, scopes: scopes, storeIDs: storeIDs, resource: pending.resource)
        try await audit(grant, pending: pending, correlationID: correlationID, clientIP: clientIP, request: request)
        let code = try await services.grants.issueCode(
            tenantID: session.tenantID, grantID: grant.id, redirectURI: pending.redirectURI,
            codeChallenge: pending.codeChallenge, ttl: services.settings.codeTTL)
        return .redirect(to: location(pending, [("code", code)]))
    }

    /// The client's redirect URI with `first`, the state and the issuer (RFC 9207).
    private func location(_ pending: AuthorizationRequest, _ first: [(String, String)]) -> String {
        var pairs = first
        if let state = pending.state { pairs.append(("state", state)) }
        pairs.append(("iss", services.issuer))
        return URLQuery.appending(pairs, to: pending.redirectURI)
    }

    private func audit(
        _ grant: OAuthGrant, pending: AuthorizationRequest, correlationID: String, clientIP: String?, request: Request
    ) async throws {
        var record = AuditRecord(
            tenantID: grant.tenantID, correlationID: correlationID, actor: "member:" + grant.memberEmail,
            action: "oauth.grant_created",
            params: [
                "client_id": .string(grant.clientID), "client_name": .string(grant.clientName),
                "scopes": .array(OAuthScope.sortedNames(grant.scopes).map(JSONValue.string)),
                "stores": grant.storeIDs.map { .array($0.sorted().map(JSONValue.string)) } ?? .string("all"),
                "redirect_host": .string(ConsentView.redirectHost(pending.redirectURI)),
            ], outcome: "ok")
        record.target = grant.id.uuidString.lowercased()
        record.clientIP = clientIP
        record.userAgent = request.headers[.userAgent].map { AuditParameters.capped($0, 300) }
        try await services.audit.record(record)
    }

    static func render(_ content: ConsentView.Content, status: HTTPResponse.Status = .ok) -> PageResponse {
        var response = PageResponse.page(ConsentView.page(content), status: status)
        // Chrome applies form-action to the redirect that follows the POST: allow the client's origin.
        response.formActionOrigin = ConsentView.redirectOrigin(content.request.redirectURI)
        return response
    }
}
