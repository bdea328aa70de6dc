import App
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging

/// `POST /oauth/token` (RFC 6749 §3.2, OAuth 2.1): grant types `authorization_code` (with PKCE
/// S256) and `refresh_token`, for public clients (`client_id` in the form, no secret); and
/// `POST /oauth/revoke` (RFC 7009).
///
/// Both take only `application/x-www-form-urlencoded` bodies of at most 16 KiB with no parameter
/// given twice. Errors are RFC 6749 §5.2 JSON (400) whose description is fixed text: never a
/// code, a token or an echoed parameter. A database failure is 503 `temporarily_unavailable`.
/// A grant revoked because a code or refresh token came back, or by a refresh token's revocation,
/// gets an `oauth.grant_revoked` audit row.
struct TokenEndpoint: Sendable {
    let grants: GrantStore
    let audit: AuditLog
    let logger: Logger

    func token(_ request: Request, context: MCPRequestContext) async -> Response {
        let id = context.correlationID
        let form: [String: String]
        switch await Self.form(request, correlationID: id) {
        case .success(let parameters): form = parameters
        case .failure(let refusal): return refusal.response
        }
        guard let grantType = form["grant_type"] else {
            return Self.invalidRequest("grant_type is required.", id)
        }
        do {
            let tokens: IssuedTokens
            switch grantType {
            case "authorization_code":
                guard let code = form["code"], let redirectURI = form["redirect_uri"], let clientID = form["client_id"],
                    let verifier = form["code_verifier"]
                else {
                    return Self.invalidRequest(
                        "code, redirect_uri, client_id and code_verifier are required (PKCE S256).", id)
                }
                tokens = try await grants.exchangeCode(
                    code, clientID: clientID, redirectURI: redirectURI, codeVerifier: verifier,
                    resource: form["resource"])
            case "refresh_token":
                guard let refreshToken = form["refresh_token"], let clientID = form["client_id"] else {
                    return Self.invalidRequest("refresh_token and client_id are required.", id)
                }
                // A narrower scope is not issued (RFC 6749 §3.3 lets the server ignore it): the
                // answer's `scope` always says what the tokens carry, the grant's scopes.
                if let scope = form["scope"], !Self.isKnownScopeList(scope) {
                    return OAuthAnswers.error(
                        .badRequest, "invalid_scope", "scope may name only orders:read, orders:write and stores:manage.",
                        correlationID: id)
                }
                tokens = try await grants.refresh(refreshToken, clientID: clientID, resource: form["resource"])
            default:
                return OAuthAnswers.error(
                    .badRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.",
                    correlationID: id)
            }
            ServiceMetrics.oauthToken(grantType: grantType, outcome: "issued")
            return Self.issued(tokens, correlationID: id)
        } catch let error as OAuthError {
            ServiceMetrics.oauthToken(grantType: grantType, outcome: error.reason.rawValue)
            if let revoked = error.revokedGrant {
                let reason = grantType == "authorization_code" ? "code_reused" : "refresh_token_reused"
                await auditRevocation(revoked, reason: reason, request: request, context: context)
            }
            return OAuthAnswers.error(.badRequest, error.code.rawValue, error.description, correlationID: id)
        } catch {
            ServiceMetrics.oauthToken(grantType: grantType, outcome: "failed")
            logger.error("token request failed", metadata: ["request_id": "\(id)", "error": "\(error)"])
            return OAuthAnswers.unavailable(correlationID: id)
        }
    }

    func revoke(_ request: Request, context: MCPRequestContext) async -> Response {
        let id = context.correlationID
        let form: [String: String]
        switch await Self.form(request, correlationID: id) {
        case .success(let parameters): form = parameters
        case .failure(let refusal): return refusal.response
        }
        guard let token = form["token"], let clientID = form["client_id"] else {
            return Self.invalidRequest("token and client_id are required.", id)
        }
        // token_type_hint is optional and only a hint (RFC 7009 §2.1): the token's prefix says its kind.
        do {
            if let revoked = try await grants.revoke(token: token, clientID: clientID) {
                await auditRevocation(revoked, reason: "refresh_token_revoked", request: request, context: context)
            }
        } catch {
            logger.error("revocation failed", metadata: ["request_id": "\(id)", "error": "\(error)"])
            return OAuthAnswers.unavailable(correlationID: id)
        }
        // 200 whether or not the token was known (RFC 7009 §2.2): the answer tells nothing.
        var response = Response(status: .ok, headers: [.requestID: id, .cacheControl: "no-store"])
        response.headers[.pragma] = "no-cache"
        return response
    }

    private func auditRevocation(
        _ revoked: RevokedGrant, reason: String, request: Request, context: MCPRequestContext
    ) async {
        let grant = revoked.grantID.uuidString.lowercased()
        var record = AuditRecord(
            tenantID: revoked.tenantID, correlationID: context.correlationID, actor: "oauth:" + grant,
            action: "oauth.grant_revoked", params: ["reason": .string(reason)], outcome: "ok")
        record.target = grant
        record.clientIP = context.clientIP
        record.userAgent = request.headers[.userAgent].map { AuditParameters.capped($0, 300) }
        do {
            try await audit.record(record)
        } catch {
            logger.error("could not audit a grant revocation", metadata: ["request_id": "\(context.correlationID)"])
        }
    }

    // MARK: Pieces

    struct Refusal: Error {
        let response: Response
    }

    /// The form of a POST: the media type, the size and the encoding checked, no parameter twice.
    static func form(_ request: Request, correlationID id: String) async -> Result<[String: String], Refusal> {
        guard OAuthAnswers.hasMediaType(request, "application/x-www-form-urlencoded") else {
            return .failure(Refusal(response: invalidRequest("Send the parameters as application/x-www-form-urlencoded.", id)))
        }
        guard let body = await OAuthAnswers.body(request) else {
            return .failure(Refusal(response: OAuthAnswers.tooLarge(correlationID: id)))
        }
        do {
            return .success(try OAuthForm.parse(body))
        } catch .repeated {
            return .failure(Refusal(response: invalidRequest("A parameter is given more than once.", id)))
        } catch {
            return .failure(Refusal(response: invalidRequest("The body is not valid application/x-www-form-urlencoded.", id)))
        }
    }

    static func invalidRequest(_ description: String, _ id: String) -> Response {
        OAuthAnswers.error(.badRequest, "invalid_request", description, correlationID: id)
    }

    static func isKnownScopeList(_ scope: String) -> Bool {
        let names = scope.split(separator: " ")
        return !names.isEmpty && names.allSatisfy { OAuthScope(rawValue: String($0)) != nil }
    }

    /// RFC 6749 §5.1: `no-store` and `Pragma: no-cache`.
    static func issued(_ tokens: IssuedTokens, correlationID: String) -> Response {
        let body: JSONValue = [
            "access_token": .string(tokens.accessToken), "token_type": "Bearer",
            "expires_in": .int(tokens.expiresIn.components.seconds),
            "refresh_token": .string(tokens.refreshToken), "scope": .string(OAuthScope.scopeString(tokens.scopes)),
        ]
        var response = Response.json(.ok, body, correlationID: correlationID)
        response.headers[.pragma] = "no-cache"
        return response
    }
}
