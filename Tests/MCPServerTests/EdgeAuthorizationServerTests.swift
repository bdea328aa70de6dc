import App
import Cryptography
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Postgres
import TestSupport
import Testing

@testable import MCPServer

/// Requests to the authorization server's JSON endpoints.
extension TestClientProtocol {
    func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: path, method: .get, headers: headers, body: nil)
    }

    /// A form POST (`application/x-www-form-urlencoded` unless `contentType` says otherwise).
    func postForm(
        _ path: String, _ body: String, contentType: String = "application/x-www-form-urlencoded"
    ) async throws -> TestResponse {
        try await execute(
            uri: path, method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body))
    }
}

/// The authorization server's discovery documents, `POST /oauth/token` and `POST /oauth/revoke` on
/// the real router with `PUBLIC_BASE_URL` set. Grants and codes are made with `GrantStore` (as the
/// consent page will); tokens come from the HTTP endpoint and are tried on `/mcp`.
@Suite(.serialized) struct EdgeAuthorizationServerTests {
    static let base = "http://127.0.0.1:8080"
    static let resource = base + "/mcp"
    static let settings = ["PUBLIC_BASE_URL": base, "OAUTH_ACCESS_TOKEN_TTL_SECONDS": "120"]
    static let client = "https://client.example/oauth/metadata.json"
    static let redirect = "http://127.0.0.1:33418/callback"

    /// A code for a new grant, with its PKCE verifier.
    struct Pending {
        let grant: OAuthGrant
        let code: String
        let verifier: String
    }

    static func pending(
        _ fixture: EdgeFixture, tenantID: UUID, scopes: Set<OAuthScope> = [.ordersRead], clientID: String = client
    ) async throws -> Pending {
        let store = GrantStore(database: fixture.server.database)
        try await fixture.server.database.withTenantTransaction(tenantID) { tx in
            // createGrant needs a member (a grant stops working once its member is removed).
            try tx.execute(
                "INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(tenantID), 'ann@example.com') ON CONFLICT DO NOTHING"
            )
        }
        let grant = try await store.createGrant(
            tenantID: tenantID, clientID: clientID, clientName: "Edge client",
            memberEmail: try MemberEmail("ann@example.com"), scopes: scopes, storeIDs: nil, resource: resource)
        let verifier = Base64URL.encode(SecureRandom.bytes(48))
        let code = try await store.issueCode(
            tenantID: tenantID, grantID: grant.id, redirectURI: redirect,
            codeChallenge: PKCE.s256Challenge(forVerifier: verifier))
        return Pending(grant: grant, code: code, verifier: verifier)
    }

    /// `name=value&…`, each part percent-encoded.
    static func form(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed)!)="
                + value.addingPercentEncoding(withAllowedCharacters: allowed)!
        }.joined(separator: "&")
    }

    static func exchange(_ pending: Pending, clientID: String = client) -> [(String, String)] {
        [
            ("grant_type", "authorization_code"), ("code", pending.code), ("redirect_uri", redirect),
            ("client_id", clientID), ("code_verifier", pending.verifier), ("resource", resource),
        ]
    }

    static func replacing(_ pairs: [(String, String)], _ name: String, with value: String?) -> [(String, String)] {
        pairs.compactMap { pair in pair.0 == name ? value.map { (name, $0) } : pair }
    }

    /// An RFC 6749 §5.2 error answer: status, `error`, a description that holds none of `secrets`.
    static func expectOAuthError(
        _ response: TestResponse, _ code: String, status: HTTPResponse.Status = .badRequest, secrets: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, "body: \(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        #expect(response.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
        #expect(response.json?["error"] == .string(code), "body: \(response.text)", sourceLocation: sourceLocation)
        let description = response.json?["error_description"]?.stringValue ?? ""
        #expect(!description.isEmpty, sourceLocation: sourceLocation)
        for secret in secrets {
            #expect(!response.text.contains(secret), "the answer echoes a secret", sourceLocation: sourceLocation)
        }
        #expect(response.headers[.accessControlAllowOrigin] == "*", sourceLocation: sourceLocation)
        expectRequestID(response, sourceLocation: sourceLocation)
    }

    /// `tools/list` with `token` (2026-07-28): the HTTP status.
    static func listStatus(_ client: any TestClientProtocol, _ token: String) async throws -> HTTPResponse.Status {
        try await client.modern(ModernMessage.request("tools/list"), method: "tools/list", key: token).status
    }

    struct RevocationRow: Equatable {
        let tenantID: UUID?
        let actor: String?
        let target: String?
        let reason: String?
        let outcome: String
    }

    static func revocations(_ fixture: EdgeFixture) async throws -> [RevocationRow] {
        try await fixture.scratch.asOwner { tx in
            try tx.query(
                """
                SELECT tenant_id, actor, target, params->>'reason' AS reason, outcome FROM orderdesk.audit_log
                WHERE action = 'oauth.grant_revoked' ORDER BY id
                """
            ).map {
                RevocationRow(
                    tenantID: try $0.decode(UUID?.self, "tenant_id"), actor: try $0.decode(String?.self, "actor"),
                    target: try $0.decode(String?.self, "target"), reason: try $0.decode(String?.self, "reason"),
                    outcome: try $0.decode(String.self, "outcome"))
            }
        }
    }

    static func revocation(_ grant: OAuthGrant, _ reason: String) -> RevocationRow {
        let id = grant.id.uuidString.lowercased()
        return RevocationRow(tenantID: grant.tenantID, actor: "oauth:" + id, target: id, reason: reason, outcome: "ok")
    }

    // MARK: Metadata

    static let protectedResourceJSON = """
        {"authorization_servers":["http://127.0.0.1:8080"],"bearer_methods_supported":["header"],\
        "resource":"http://127.0.0.1:8080/mcp","resource_name":"OrderDesk MCP",\
        "scopes_supported":["orders:read","orders:write","stores:manage"]}
        """
    static let authorizationServerJSON = """
        {"authorization_endpoint":"http://127.0.0.1:8080/oauth/authorize",\
        "authorization_response_iss_parameter_supported":true,"client_id_metadata_document_supported":true,\
        "code_challenge_methods_supported":["S256"],"grant_types_supported":["authorization_code","refresh_token"],\
        "issuer":"http://127.0.0.1:8080","registration_endpoint":"http://127.0.0.1:8080/oauth/register",\
        "response_modes_supported":["query"],"response_types_supported":["code"],\
        "revocation_endpoint":"http://127.0.0.1:8080/oauth/revoke","revocation_endpoint_auth_methods_supported":["none"],\
        "scopes_supported":["orders:read","orders:write","stores:manage"],\
        "token_endpoint":"http://127.0.0.1:8080/oauth/token","token_endpoint_auth_methods_supported":["none"]}
        """

    @Test func theMetadataDocumentsArePublicCacheableAndExact() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            try await fixture.test { client in
                let documents = [
                    ("/.well-known/oauth-protected-resource", Self.protectedResourceJSON),
                    ("/.well-known/oauth-protected-resource/mcp", Self.protectedResourceJSON),
                    ("/.well-known/oauth-authorization-server", Self.authorizationServerJSON),
                    ("/.well-known/openid-configuration", Self.authorizationServerJSON),
                ]
                for (path, expected) in documents {
                    // As the mcp client asks: a protocol version header, no credential; a foreign Origin is no matter.
                    let response = try await client.get(
                        path,
                        headers: [.mcpProtocolVersion: "2026-07-28", .origin: "https://elsewhere.example"])
                    #expect(response.status == .ok, "\(path): \(response.text)")
                    #expect(response.text == expected, "\(path)")
                    #expect(response.json == (try JSONValue(parsing: Data(expected.utf8))), "\(path)")
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(response.headers[.cacheControl] == "public, max-age=300")
                    #expect(response.headers[.accessControlAllowOrigin] == "*")
                    expectRequestID(response)
                    // An unknown protocol version is no reason to refuse discovery.
                    let odd = try await client.get(path, headers: [.mcpProtocolVersion: "1999-01-01"])
                    #expect(odd.status == .ok)

                    let put = try await client.execute(uri: path, method: .put, headers: [:], body: nil)
                    #expect(put.status == .methodNotAllowed)
                    #expect(put.headers[.allow] == "GET, OPTIONS")
                    let preflight = try await client.execute(
                        uri: path, method: .options,
                        headers: [.origin: "https://elsewhere.example", .accessControlRequestMethod: "GET"], body: nil)
                    #expect(preflight.status == .noContent)
                    #expect(preflight.headers[.accessControlAllowOrigin] == "*")
                    #expect(preflight.headers[.accessControlAllowMethods] == "GET, OPTIONS")
                    #expect(preflight.headers[.accessControlAllowHeaders]?.contains("MCP-Protocol-Version") == true)
                }
                // The issuer the 401 challenge leads to is the one the metadata names.
                let challenge = try await client.modern(
                    ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list")
                #expect(challenge.status == .unauthorized)
                #expect(
                    challenge.headers[.wwwAuthenticate]?.contains(
                        #"resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp""#) == true)
            }
        }
    }

    @Test func withoutPublicBaseURLNoneOfTheseRoutesExist() async throws {
        try await EdgeFixture.run { fixture in
            #expect(fixture.server.configuration.authorizationServer == nil)
            try await fixture.test { client in
                for path in [
                    "/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp",
                    "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration",
                ] {
                    let response = try await client.get(path)
                    #expect(response.status == .notFound, "\(path)")
                }
                for path in ["/oauth/token", "/oauth/revoke", "/oauth/register"] {
                    let response = try await client.postForm(path, "grant_type=refresh_token")
                    #expect(response.status == .notFound, "\(path)")
                }
            }
        }
    }

    @Test func theRequestBudgetPerAddressAnswers429WithRetryAfter() async throws {
        let settings = Self.settings.merging(["OAUTH_REQUESTS_PER_MINUTE": "1", "OAUTH_REQUESTS_BURST": "3"]) { $1 }
        try await EdgeFixture.run(settings) { fixture in
            try await fixture.test { client in
                for _ in 0..<3 {
                    #expect(try await client.get("/.well-known/oauth-authorization-server").status == .ok)
                }
                let refused = try await client.postForm("/oauth/token", "grant_type=refresh_token")
                Self.expectOAuthError(refused, "rate_limited", status: .tooManyRequests)
                #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
                // /mcp has its own budget.
                #expect(try await client.get("/healthz").status == .ok)
            }
        }
    }

    // MARK: Token endpoint: authorization_code

    @Test func aCodeBecomesTokensThatWorkOnMCP() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let pending = try await Self.pending(fixture, tenantID: tenant.tenantID, scopes: [.ordersRead, .ordersWrite])
            try await fixture.test { client in
                let response = try await client.postForm("/oauth/token", Self.form(Self.exchange(pending)))
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[HTTPField.Name("Pragma")!] == "no-cache")
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                let body = try #require(response.json)
                #expect(body["token_type"] == "Bearer")
                #expect(body["expires_in"] == 120)  // OAUTH_ACCESS_TOKEN_TTL_SECONDS
                #expect(body["scope"] == "orders:read orders:write")
                #expect(
                    body.objectValue?.keys.sorted() == ["access_token", "expires_in", "refresh_token", "scope", "token_type"])
                let access = try #require(body["access_token"]?.stringValue)
                let refresh = try #require(body["refresh_token"]?.stringValue)
                #expect(access.hasPrefix("odat_") && refresh.hasPrefix("odrt_"))

                let listed = try await client.modern(ModernMessage.request("tools/list"), method: "tools/list", key: access)
                #expect(listed.status == .ok)
                let names = listed.json?["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                #expect(names.contains("orders_list") && names.contains("orders_delete"))
                #expect(try await Self.listStatus(client, "odat_" + Base64URL.encode(SecureRandom.bytes(32))) == .unauthorized)
            }
            // The tokens hang off the grant, with the configured lifetime.
            let expiries = try await fixture.scratch.asOwner { tx in
                try tx.query(
                    """
                    SELECT kind, round(extract(epoch FROM expires_at - now()))::int AS seconds FROM orderdesk.oauth_tokens
                    WHERE grant_id = \(pending.grant.id) ORDER BY kind
                    """
                ).map { (try $0.decode(String.self, "kind"), try $0.decode(Int.self, "seconds")) }
            }
            #expect(expiries.map(\.0) == ["access", "refresh"])
            #expect((110...120).contains(expiries.first?.1 ?? 0))
            let refreshSeconds = expiries.last?.1 ?? 0
            let thirtyDays = 30 * 86_400
            #expect(refreshSeconds > thirtyDays - 60 && refreshSeconds <= thirtyDays)
        }
    }

    @Test func refusedExchangesAreRFC6749Errors() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let otherVerifier = Base64URL.encode(SecureRandom.bytes(48))
            let cases: [(String, (Pending) -> [(String, String)], String)] = [
                ("wrong verifier", { Self.replacing(Self.exchange($0), "code_verifier", with: otherVerifier) }, "invalid_grant"),
                ("redirect", { Self.replacing(Self.exchange($0), "redirect_uri", with: Self.redirect + "x") }, "invalid_grant"),
                (
                    "resource", { Self.replacing(Self.exchange($0), "resource", with: "https://other.example/mcp") },
                    "invalid_target"
                ),
                ("client", { Self.exchange($0, clientID: "https://other.example/client.json") }, "invalid_grant"),
                (
                    "unknown code",
                    { Self.replacing(Self.exchange($0), "code", with: "odac_" + Base64URL.encode(SecureRandom.bytes(32))) },
                    "invalid_grant"
                ),
            ]
            for (label, body, expected) in cases {
                let pending = try await Self.pending(fixture, tenantID: tenant.tenantID)
                let request = Self.form(body(pending))
                try await fixture.test { client in
                    let refused = try await client.postForm("/oauth/token", request)
                    Self.expectOAuthError(refused, expected, secrets: [pending.code, pending.verifier])
                    #expect(refused.json?["access_token"] == nil, "\(label)")
                }
            }

            // A missing parameter is invalid_request and leaves the code unburned.
            let pending = try await Self.pending(fixture, tenantID: tenant.tenantID)
            try await fixture.test { client in
                for name in ["code_verifier", "code", "redirect_uri", "client_id"] {
                    let missing = try await client.postForm(
                        "/oauth/token", Self.form(Self.replacing(Self.exchange(pending), name, with: nil)))
                    Self.expectOAuthError(missing, "invalid_request", secrets: [pending.code])
                }
                // An empty value counts as absent (RFC 6749 §3.1).
                let empty = try await client.postForm(
                    "/oauth/token", Self.form(Self.replacing(Self.exchange(pending), "code_verifier", with: "")))
                Self.expectOAuthError(empty, "invalid_request")
                let ok = try await client.postForm("/oauth/token", Self.form(Self.exchange(pending)))
                #expect(ok.status == .ok, "\(ok.text)")
                // resource is optional (RFC 8707).
                let another = try await Self.pending(fixture, tenantID: tenant.tenantID)
                let withoutResource = try await client.postForm(
                    "/oauth/token", Self.form(Self.replacing(Self.exchange(another), "resource", with: nil)))
                #expect(withoutResource.status == .ok, "\(withoutResource.text)")
            }
        }
    }

    @Test func aReusedCodeRevokesTheGrantAndItsTokens() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let pending = try await Self.pending(fixture, tenantID: tenant.tenantID)
            try await fixture.test { client in
                let first = try await client.postForm("/oauth/token", Self.form(Self.exchange(pending)))
                let access = try #require(first.json?["access_token"]?.stringValue)
                let refresh = try #require(first.json?["refresh_token"]?.stringValue)
                #expect(try await Self.listStatus(client, access) == .ok)

                let replay = try await client.postForm("/oauth/token", Self.form(Self.exchange(pending)))
                Self.expectOAuthError(replay, "invalid_grant", secrets: [pending.code, access, refresh])
                #expect(replay.json?["error_description"]?.stringValue?.contains("revoked") == true)
                #expect(try await Self.listStatus(client, access) == .unauthorized)
                let refreshed = try await client.postForm(
                    "/oauth/token",
                    Self.form([("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", Self.client)]))
                Self.expectOAuthError(refreshed, "invalid_grant")
                // A third try revokes nothing new: still one audit row.
                let again = try await client.postForm("/oauth/token", Self.form(Self.exchange(pending)))
                Self.expectOAuthError(again, "invalid_grant")
            }
            #expect(try await Self.revocations(fixture) == [Self.revocation(pending.grant, "code_reused")])
            let grants = try await GrantStore(database: fixture.server.database).listGrants(
                tenantID: tenant.tenantID, includeRevoked: true)
            #expect(grants.first?.revokedAt != nil)
        }
    }

    // MARK: Token endpoint: refresh_token

    @Test func refreshRotatesAndAReusedRefreshTokenRevokesTheGrant() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let pending = try await Self.pending(fixture, tenantID: tenant.tenantID)
            try await fixture.test { client in
                let first = try await client.postForm("/oauth/token", Self.form(Self.exchange(pending)))
                let refresh = try #require(first.json?["refresh_token"]?.stringValue)
                func refreshing(_ token: String, _ extra: [(String, String)] = []) -> String {
                    Self.form([("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", Self.client)] + extra)
                }

                // Refused before anything rotates: another resource, an unknown scope, another client.
                Self.expectOAuthError(
                    try await client.postForm("/oauth/token", refreshing(refresh, [("resource", "https://x.example/mcp")])),
                    "invalid_target", secrets: [refresh])
                Self.expectOAuthError(
                    try await client.postForm("/oauth/token", refreshing(refresh, [("scope", "orders:read admin")])),
                    "invalid_scope", secrets: [refresh])
                Self.expectOAuthError(
                    try await client.postForm(
                        "/oauth/token",
                        Self.form([
                            ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "https://x.example/c"),
                        ])),
                    "invalid_grant", secrets: [refresh])
                Self.expectOAuthError(
                    try await client.postForm(
                        "/oauth/token", Self.form([("grant_type", "refresh_token"), ("refresh_token", refresh)])),
                    "invalid_request")

                // A scope inside the grant is accepted; the answer says what the tokens carry.
                let second = try await client.postForm(
                    "/oauth/token", refreshing(refresh, [("resource", Self.resource), ("scope", "orders:read")]))
                #expect(second.status == .ok, "\(second.text)")
                #expect(second.headers[.cacheControl] == "no-store")
                #expect(second.json?["scope"] == "orders:read")
                let newAccess = try #require(second.json?["access_token"]?.stringValue)
                let newRefresh = try #require(second.json?["refresh_token"]?.stringValue)
                #expect(newRefresh != refresh && newRefresh.hasPrefix("odrt_"))
                #expect(try await Self.listStatus(client, newAccess) == .ok)

                // The retired refresh token again: invalid_grant, and the whole grant is revoked.
                let reuse = try await client.postForm("/oauth/token", refreshing(refresh))
                Self.expectOAuthError(reuse, "invalid_grant", secrets: [refresh, newRefresh, newAccess])
                #expect(try await Self.listStatus(client, newAccess) == .unauthorized)
                Self.expectOAuthError(try await client.postForm("/oauth/token", refreshing(newRefresh)), "invalid_grant")
            }
            #expect(try await Self.revocations(fixture) == [Self.revocation(pending.grant, "refresh_token_reused")])
        }
    }

    @Test func malformedTokenRequestsAreInvalidRequest() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let pending = try await Self.pending(fixture, tenantID: tenant.tenantID)
            let exchange = Self.form(Self.exchange(pending))
            try await fixture.test { client in
                Self.expectOAuthError(
                    try await client.postForm("/oauth/token", Self.form([("grant_type", "password"), ("username", "a")])),
                    "unsupported_grant_type")
                Self.expectOAuthError(
                    try await client.postForm("/oauth/token", Self.form([("code", pending.code)])), "invalid_request",
                    secrets: [pending.code])
                // The same parameters as JSON, or without a media type.
                let json = JSONValue.object(
                    Dictionary(uniqueKeysWithValues: Self.exchange(pending).map { ($0.0, JSONValue.string($0.1)) }))
                Self.expectOAuthError(
                    try await client.postForm("/oauth/token", json.encodedString(), contentType: "application/json"),
                    "invalid_request", secrets: [pending.code])
                let bare = try await client.execute(
                    uri: "/oauth/token", method: .post, headers: [:], body: ByteBuffer(string: exchange))
                Self.expectOAuthError(bare, "invalid_request")
                // A parameter twice, even with the same value.
                Self.expectOAuthError(
                    try await client.postForm("/oauth/token", exchange + "&client_id=" + Self.client), "invalid_request")
                Self.expectOAuthError(
                    try await client.postForm("/oauth/token", exchange + "&grant_type=authorization_code"),
                    "invalid_request")
                // Broken percent-encoding, and a body over 16 KiB.
                Self.expectOAuthError(try await client.postForm("/oauth/token", exchange + "&x=%G1"), "invalid_request")
                Self.expectOAuthError(
                    try await client.postForm("/oauth/token", exchange + "&pad=" + String(repeating: "a", count: 16_400)),
                    "invalid_request", status: .contentTooLarge)
                // A charset parameter is fine: none of the refusals above burned the code.
                let ok = try await client.postForm(
                    "/oauth/token", exchange, contentType: "application/x-www-form-urlencoded; charset=UTF-8")
                #expect(ok.status == .ok, "\(ok.text)")

                let get = try await client.get("/oauth/token")
                #expect(get.status == .methodNotAllowed)
                #expect(get.headers[.allow] == "POST, OPTIONS")
                let preflight = try await client.execute(
                    uri: "/oauth/token", method: .options,
                    headers: [.origin: "https://app.example", .accessControlRequestMethod: "POST"], body: nil)
                #expect(preflight.status == .noContent)
                #expect(preflight.headers[.accessControlAllowOrigin] == "*")
                #expect(preflight.headers[.accessControlAllowMethods] == "POST, OPTIONS")
                #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Content-Type") == true)
                #expect(preflight.headers[.accessControlAllowCredentials] == nil)
            }
        }
    }

    @Test func aDatabaseFailureIs503() async throws {
        let server = try EdgeServer.withUnreachableDatabase(["PUBLIC_BASE_URL": Self.base])
        do {
            try await server.test { client in
                let code = "odac_" + Base64URL.encode(SecureRandom.bytes(32))
                let response = try await client.postForm(
                    "/oauth/token",
                    Self.form([
                        ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.redirect),
                        ("client_id", Self.client), ("code_verifier", Base64URL.encode(SecureRandom.bytes(48))),
                    ]))
                Self.expectOAuthError(response, "temporarily_unavailable", status: .serviceUnavailable, secrets: [code])
                #expect(response.headers[.retryAfter] != nil)
                let revoke = try await client.postForm(
                    "/oauth/revoke",
                    Self.form([("token", "odrt_" + Base64URL.encode(SecureRandom.bytes(32))), ("client_id", Self.client)]))
                #expect(revoke.status == .serviceUnavailable)
                // Discovery needs no database.
                #expect(try await client.get("/.well-known/oauth-authorization-server").status == .ok)
            }
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    // MARK: Revocation

    @Test func revocationEndsAnAccessTokenOrAWholeGrantAndAlwaysAnswers200() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let pending = try await Self.pending(fixture, tenantID: tenant.tenantID)
            try await fixture.test { client in
                let first = try await client.postForm("/oauth/token", Self.form(Self.exchange(pending)))
                let access = try #require(first.json?["access_token"]?.stringValue)
                let refresh = try #require(first.json?["refresh_token"]?.stringValue)
                func revoke(_ token: String, client clientID: String = Self.client, hint: String? = nil) -> String {
                    Self.form([("token", token), ("client_id", clientID)] + (hint.map { [("token_type_hint", $0)] } ?? []))
                }

                // Another client's request changes nothing, and says so by nothing.
                let foreign = try await client.postForm("/oauth/revoke", revoke(access, client: "https://x.example/c"))
                #expect(foreign.status == .ok)
                #expect(foreign.body.readableBytes == 0)
                #expect(try await Self.listStatus(client, access) == .ok)

                // An access token (a wrong hint is only a hint): that token only.
                let ended = try await client.postForm("/oauth/revoke", revoke(access, hint: "refresh_token"))
                #expect(ended.status == .ok)
                #expect(ended.headers[.cacheControl] == "no-store")
                #expect(ended.headers[.accessControlAllowOrigin] == "*")
                #expect(try await Self.listStatus(client, access) == .unauthorized)
                let rotated = try await client.postForm(
                    "/oauth/token",
                    Self.form([("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", Self.client)]))
                #expect(rotated.status == .ok, "\(rotated.text)")
                let access2 = try #require(rotated.json?["access_token"]?.stringValue)
                let refresh2 = try #require(rotated.json?["refresh_token"]?.stringValue)
                #expect(try await Self.listStatus(client, access2) == .ok)

                // A refresh token: the whole grant.
                #expect(try await client.postForm("/oauth/revoke", revoke(refresh2, hint: "refresh_token")).status == .ok)
                #expect(try await Self.listStatus(client, access2) == .unauthorized)
                Self.expectOAuthError(
                    try await client.postForm(
                        "/oauth/token",
                        Self.form([("grant_type", "refresh_token"), ("refresh_token", refresh2), ("client_id", Self.client)])),
                    "invalid_grant")
                // Again, unknown, malformed: all 200.
                #expect(try await client.postForm("/oauth/revoke", revoke(refresh2)).status == .ok)
                #expect(
                    try await client.postForm("/oauth/revoke", revoke("odat_" + Base64URL.encode(SecureRandom.bytes(32)))).status
                        == .ok)
                #expect(try await client.postForm("/oauth/revoke", revoke("not-a-token")).status == .ok)

                // Not well-formed: RFC 6749 errors.
                Self.expectOAuthError(
                    try await client.postForm("/oauth/revoke", Self.form([("client_id", Self.client)])), "invalid_request")
                Self.expectOAuthError(
                    try await client.postForm("/oauth/revoke", Self.form([("token", access)])), "invalid_request",
                    secrets: [access])
                Self.expectOAuthError(
                    try await client.postForm("/oauth/revoke", revoke(access), contentType: "text/plain"),
                    "invalid_request", secrets: [access])
                Self.expectOAuthError(
                    try await client.postForm("/oauth/revoke", revoke(access) + "&token=x"), "invalid_request",
                    secrets: [access])
                let get = try await client.get("/oauth/revoke")
                #expect(get.status == .methodNotAllowed)
                #expect(get.headers[.allow] == "POST, OPTIONS")
            }
            #expect(try await Self.revocations(fixture) == [Self.revocation(pending.grant, "refresh_token_revoked")])
        }
    }
}
