import App
import Foundation
import Hummingbird
import JSON
import Postgres

/// `GET /consent?request=…` and `POST /consent`: the signed-in member allows or denies a pending
/// authorization request of this browser. Allow consumes the request, records the grant, its audit
/// row (`oauth.grant_created`) and a single-use code in ONE transaction of the session's tenant, then
/// sends the browser back with the code; Deny consumes the request and writes `oauth.grant_denied` in
/// one transaction and sends `access_denied`. Either way the request is consumed, so it cannot be
/// answered twice; when the transaction fails nothing of it remains and the request can be answered
/// again (a 503 page).
///
/// The form's CSRF token is bound to the session and to the request (`PageCSRF.consentToken`).
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
            requestID: requestID, csrf: PageCSRF.consentToken(secret: session.csrfSecret, requestID: requestID),
            request: pending, tenantName: session.tenantName, email: session.email.address,
            stores: try await services.stores.list(tenantID: session.tenantID), checkedScopes: Set(pending.scopes),
            checkedStores: nil)
        return Self.render(content)
    }

    func post(_ request: Request, correlationID: String, clientIP: String?) async throws -> PageResponse {
        guard let fields = try await PageServices.form(request) else {
            return MessageView.page("Invalid request", "The form could not be read.", status: .badRequest)
        }
        let requestID = PageServices.requestID(fields)
        guard let (_, session) = try await services.session(of: request), let requestID,
            PageCSRF.isValidConsentToken(fields.single("csrf"), secret: session.csrfSecret, requestID: requestID)
        else { return MessageView.forbidden() }
        guard let browser = PageServices.browser(of: request) else { return MessageView.otherBrowser() }
        let lookup = try await services.requests.load(requestID, browser: browser)
        guard let pending = lookup.request else { return PageServices.refusal(lookup) ?? MessageView.requestExpired() }
        let answer = Answer(
            requestID: requestID, browser: browser, session: session, correlationID: correlationID, clientIP: clientIP,
            userAgent: request.headers[.userAgent].map { AuditParameters.capped($0, 300) })

        switch fields.single("decision") {
        case "deny":
            return try await deny(pending, answer)
        case "allow":
            break
        default:
            return MessageView.page("Invalid request", "Choose Allow or Deny.", status: .badRequest)
        }

        let tenantStores = try await services.stores.list(tenantID: session.tenantID)
        var content = ConsentView.Content(
            requestID: requestID, csrf: PageCSRF.consentToken(secret: session.csrfSecret, requestID: requestID),
            request: pending, tenantName: session.tenantName, email: session.email.address, stores: tenantStores,
            checkedScopes: Set(fields.all("scope")).intersection(pending.scopes), checkedStores: nil)
        let scopes = Set(content.checkedScopes.compactMap(OAuthScope.init(rawValue:)))
        guard !scopes.isEmpty else {
            content.problem = "Tick at least one permission, or choose Deny."
            return Self.render(content, status: .badRequest)
        }
        var storeIDs: Set<String>?
        if fields.single("stores") != "all" {
            let chosen = Set(fields.all("store"))
            let known = Set(tenantStores.map(\.storeID))
            content.checkedStores = chosen.intersection(known)
            guard !chosen.isEmpty else {
                content.problem = "Tick at least one store, or choose all stores."
                return Self.render(content, status: .badRequest)
            }
            guard chosen.isSubset(of: known) else {
                content.problem = "A chosen store is not one of this tenant's stores. Choose again."
                return Self.render(content, status: .badRequest)
            }
            guard chosen.count <= GrantStore.maximumStores else {
                content.problem =
                    "Choose at most \(GrantStore.maximumStores) stores, or choose all stores."
                return Self.render(content, status: .badRequest)
            }
            storeIDs = chosen
        }
        return try await allow(pending, answer, scopes: scopes, storeIDs: storeIDs)
    }

    /// Who answers which request, for the transaction and its audit row.
    private struct Answer: Sendable {
        let requestID: String
        let browser: String
        let session: WebSession
        let correlationID: String
        let clientIP: String?
        let userAgent: String?
    }

    /// What the consent transaction ended with.
    private enum Outcome: Sendable {
        case answered(location: String)
        /// The request was used up meanwhile (another tab, an expiry).
        case gone
    }

    private func allow(
        _ pending: AuthorizationRequest, _ answer: Answer, scopes: Set<OAuthScope>, storeIDs: Set<String>?
    ) async throws -> PageResponse {
        let grants = services.grants
        let requests = services.requests
        let audit = services.audit
        let codeTTL = services.settings.codeTTL
        let issuer = services.issuer
        let session = answer.session
        return try await transaction(session.tenantID) { tx -> Outcome in
            guard let consumed = try requests.consume(answer.requestID, browser: answer.browser, in: tx) else {
                return .gone
            }
            let grant = try grants.createGrant(
                tenantID: session.tenantID, clientID: consumed.clientID, clientName: consumed.clientName,
                memberEmail: session.email, scopes: scopes, storeIDs: storeIDs, resource: consumed.resource, in: tx)
            var record = Self.record(
                answer, action: "oauth.grant_created", consumed, scopes: grant.scopes,
                stores: grant.storeIDs.map { .array($0.sorted().map(JSONValue.string)) } ?? .string("all"))
            record.target = grant.id.uuidString.lowercased()
            try audit.insert(record, in: tx)
            let code = try grants.issueCode(
                tenantID: session.tenantID, grantID: grant.id, redirectURI: consumed.redirectURI,
                codeChallenge: consumed.codeChallenge, ttl: codeTTL, in: tx)
            return .answered(location: Self.location(consumed, [("code", code)], issuer: issuer))
        }
    }

    private func deny(_ pending: AuthorizationRequest, _ answer: Answer) async throws -> PageResponse {
        let requests = services.requests
        let audit = services.audit
        let issuer = services.issuer
        return try await transaction(answer.session.tenantID) { tx -> Outcome in
            guard let consumed = try requests.consume(answer.requestID, browser: answer.browser, in: tx) else {
                return .gone
            }
            let requested = Set(consumed.scopes.compactMap(OAuthScope.init(rawValue:)))
            try audit.insert(Self.record(answer, action: "oauth.grant_denied", consumed, scopes: requested), in: tx)
            return .answered(location: Self.location(consumed, [("error", "access_denied")], issuer: issuer))
        }
    }

    /// Runs the consent's writes in one transaction of `tenantID`. A failure leaves nothing behind
    /// (the request included, so the member can answer again): a value the tables refuse is a 400
    /// page, a disabled tenant a 403 page, anything else (the database) a 503 page.
    private func transaction(
        _ tenantID: UUID, _ body: @escaping @Sendable (TenantTransaction) throws -> Outcome
    ) async throws -> PageResponse {
        let outcome: Outcome
        do {
            outcome = try await services.database.withTenantTransaction(tenantID, body)
        } catch let error as OAuthError where error.reason == .tenantDisabled {
            return MessageView.page(
                "This tenant is disabled", "Nothing was allowed. Ask your administrator.", status: .forbidden)
        } catch let error as OAuthError where error.reason == .notMember {
            return MessageView.page(
                "You are no longer a member", "Nothing was allowed. Ask the tenant's administrator.", status: .forbidden)
        } catch is OAuthError {
            return MessageView.page(
                "Invalid request", "This answer holds a value the server cannot keep. Nothing was allowed.",
                status: .badRequest)
        } catch {
            services.logger.error("consent failed", metadata: ["error": "\(error)"])
            return MessageView.page(
                "Try again in a moment",
                "The server could not record your answer, and nothing was allowed. Reload the page and answer again.",
                status: .serviceUnavailable)
        }
        switch outcome {
        case .gone: return MessageView.requestExpired()
        case .answered(let location): return .redirect(to: location)
        }
    }

    /// The client's redirect URI with `first`, the state and the issuer (RFC 9207).
    private static func location(_ pending: AuthorizationRequest, _ first: [(String, String)], issuer: String) -> String {
        var pairs = first
        if let state = pending.state { pairs.append(("state", state)) }
        pairs.append(("iss", issuer))
        return URLQuery.appending(pairs, to: pending.redirectURI)
    }

    /// The audit row of an answer: who, which client, which scopes, where the answer goes; never a
    /// code, state or challenge.
    private static func record(
        _ answer: Answer, action: String, _ pending: AuthorizationRequest, scopes: Set<OAuthScope>,
        stores: JSONValue? = nil
    ) -> AuditRecord {
        var params: [String: JSONValue] = [
            "client_id": .string(pending.clientID), "client_name": .string(pending.clientName),
            "scopes": .array(OAuthScope.sortedNames(scopes).map(JSONValue.string)),
            "redirect_host": .string(ConsentView.redirectHost(pending.redirectURI)),
        ]
        params["stores"] = stores
        var record = AuditRecord(
            tenantID: answer.session.tenantID, correlationID: answer.correlationID,
            actor: "member:" + answer.session.email.address, action: action, params: .object(params), outcome: "ok")
        record.clientIP = answer.clientIP
        record.userAgent = answer.userAgent
        return record
    }

    static func render(_ content: ConsentView.Content, status: HTTPResponse.Status = .ok) -> PageResponse {
        var response = PageResponse.page(ConsentView.page(content), status: status)
        // Chrome applies form-action to the redirect that follows the POST: allow the client's origin.
        response.formActionOrigin = ConsentView.redirectOrigin(content.request.redirectURI)
        return response
    }
}
