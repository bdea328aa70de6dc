import App
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Postgres
import TestSupport
import Testing

@testable import MCPServer

/// `POST /oauth/register` (RFC 7591) on the real router with `PUBLIC_BASE_URL` set: public clients
/// only, redirect URIs by the metadata-document rules, RFC 7591 errors, a per-address cap, and a
/// registered client that can then exchange a code.
@Suite(.serialized) struct EdgeClientRegistrationTests {
    static let settings = EdgeAuthorizationServerTests.settings
    static let redirect = EdgeAuthorizationServerTests.redirect

    /// What mcp 2.3.0 sends (traced, docs/research/mcp-python-oauth-client.md §1).
    static let mcpClientBody: JSONValue = [
        "response_types": ["code"], "scope": "orders:read offline_access", "client_name": "e2e",
        "redirect_uris": [.string(redirect)], "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"], "application_type": "native",
    ]

    static func register(_ client: any TestClientProtocol, _ body: JSONValue) async throws -> TestResponse {
        try await register(client, body.encodedString())
    }

    static func register(
        _ client: any TestClientProtocol, _ body: String, contentType: String = "application/json"
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/oauth/register", method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body))
    }

    static func with(_ body: JSONValue, _ name: String, _ value: JSONValue?) -> JSONValue {
        var object = body.objectValue ?? [:]
        object[name] = value
        return .object(object)
    }

    struct StoredClient: Equatable {
        let name: String
        let redirectURIs: [String]
        let metadata: JSONValue
    }

    static func stored(_ fixture: EdgeFixture) async throws -> [String: StoredClient] {
        let rows = try await fixture.scratch.asOwner { tx in
            try tx.query("SELECT client_id, client_name, redirect_uris, metadata FROM orderdesk.oauth_clients").map {
                (
                    try $0.decode(String.self, "client_id"),
                    StoredClient(
                        name: try $0.decode(String.self, "client_name"),
                        redirectURIs: try $0.decode(PostgresTextArray.self, "redirect_uris").elements,
                        metadata: try $0.decode(JSONValue.self, "metadata"))
                )
            }
        }
        return Dictionary(uniqueKeysWithValues: rows)
    }

    @Test func theMCPClientsRegistrationIs201AndItsClientCanExchangeACode() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let registered = try await fixture.test { client in
                let response = try await Self.register(client, Self.mcpClientBody)
                #expect(response.status == .created, "\(response.text)")
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                expectRequestID(response)
                return try #require(response.json)
            }
            let clientID = try #require(registered["client_id"]?.stringValue)
            #expect(clientID.wholeMatch(of: /odc_[A-Za-z0-9_-]{32}/) != nil, "\(clientID)")
            #expect(registered["client_name"] == "e2e")
            #expect(registered["redirect_uris"] == [.string(Self.redirect)])
            #expect(registered["grant_types"] == ["authorization_code", "refresh_token"])
            #expect(registered["response_types"] == ["code"])
            #expect(registered["token_endpoint_auth_method"] == "none")
            #expect(registered["application_type"] == "native")
            #expect(registered["client_secret"] == nil)
            let issuedAt = try #require(registered["client_id_issued_at"]?.lenientInt)
            #expect(abs(Double(issuedAt) - Date().timeIntervalSince1970) < 60)

            let rows = try await Self.stored(fixture)
            #expect(rows.count == 1)
            #expect(rows[clientID]?.name == "e2e")
            #expect(rows[clientID]?.redirectURIs == [Self.redirect])
            #expect(rows[clientID]?.metadata["scope"] == "orders:read offline_access")

            // The registered scope does not cap anything: a wider grant for this client exchanges.
            let pending = try await EdgeAuthorizationServerTests.pending(
                fixture, tenantID: tenant.tenantID, scopes: [.ordersRead, .ordersWrite], clientID: clientID)
            try await fixture.test { client in
                let tokens = try await client.postForm(
                    "/oauth/token",
                    EdgeAuthorizationServerTests.form(EdgeAuthorizationServerTests.exchange(pending, clientID: clientID)))
                #expect(tokens.status == .ok, "\(tokens.text)")
                #expect(tokens.json?["scope"] == "orders:read orders:write")
            }
        }
    }

    @Test func defaultsAndDerivedName() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            try await fixture.test { client in
                let minimal = try await Self.register(
                    client, ["redirect_uris": ["https://app.example/cb", "http://localhost:9/cb", "https://app.example/cb"]])
                #expect(minimal.status == .created, "\(minimal.text)")
                #expect(minimal.json?["client_name"] == "Unnamed client (app.example)")
                #expect(minimal.json?["redirect_uris"] == ["https://app.example/cb", "http://localhost:9/cb"])
                #expect(minimal.json?["grant_types"] == ["authorization_code", "refresh_token"])
                #expect(minimal.json?["response_types"] == ["code"])
                #expect(minimal.json?["token_endpoint_auth_method"] == "none")
                #expect(minimal.json?["application_type"] == nil)
                let second = try await Self.register(
                    client, ["redirect_uris": ["http://[::1]:8/cb"], "client_name": "Ünïcode ✓"])
                #expect(second.status == .created, "\(second.text)")
                #expect(second.json?["client_name"] == "Ünïcode ✓")
                #expect(second.json?["client_id"] != minimal.json?["client_id"])
            }
            #expect(try await Self.stored(fixture).count == 2)
        }
    }

    /// The database's CHECK counts `client_name` in code points (`char_length`), and so must the
    /// registration: a name of few characters but many code points is a 400, not a failed insert.
    @Test func nameLengthIsCountedInCodePointsAsTheDatabaseDoes() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let combining = String(repeating: "e\u{301}", count: 100)  // 100 characters, 200 code points
            let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"  // 1 character, 7 code points
            let emoji = String(repeating: family, count: 28) + "abcd"  // 32 characters, 200 code points
            let mark = "a" + String(repeating: "\u{301}", count: 199)  // 1 character, 200 code points
            for name in [combining, emoji, mark] { #expect(name.unicodeScalars.count == 200) }
            try await fixture.test { client in
                for name in [combining, emoji, mark] {
                    let response = try await Self.register(client, Self.with(Self.mcpClientBody, "client_name", .string(name)))
                    #expect(response.status == .created, "\(response.text)")
                    #expect(response.json?["client_name"] == .string(name))
                }
                for name in [combining + "x", String(repeating: family, count: 29), mark + "\u{301}"] {
                    let response = try await Self.register(client, Self.with(Self.mcpClientBody, "client_name", .string(name)))
                    EdgeAuthorizationServerTests.expectOAuthError(response, "invalid_client_metadata")
                }
            }
            #expect(Set(try await Self.stored(fixture).values.map(\.name)) == [combining, emoji, mark])
        }
    }

    @Test func invalidMetadataIs400WithTheRFC7591Error() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let body = Self.mcpClientBody
            let cases: [(String, JSONValue, String)] = [
                ("no redirect_uris", Self.with(body, "redirect_uris", nil), "invalid_redirect_uri"),
                ("empty redirect_uris", Self.with(body, "redirect_uris", []), "invalid_redirect_uri"),
                ("redirect_uris a string", Self.with(body, "redirect_uris", .string(Self.redirect)), "invalid_redirect_uri"),
                ("plain http", Self.with(body, "redirect_uris", ["http://app.example/cb"]), "invalid_redirect_uri"),
                ("fragment", Self.with(body, "redirect_uris", ["https://app.example/cb#x"]), "invalid_redirect_uri"),
                ("custom scheme", Self.with(body, "redirect_uris", ["com.example.app:/cb"]), "invalid_redirect_uri"),
                ("relative", Self.with(body, "redirect_uris", ["/cb"]), "invalid_redirect_uri"),
                ("user info", Self.with(body, "redirect_uris", ["https://u:p@app.example/cb"]), "invalid_redirect_uri"),
                (
                    "eleven", Self.with(body, "redirect_uris", .array((0..<11).map { .string("https://app.example/\($0)") })),
                    "invalid_redirect_uri"
                ),
                ("one bad of two", Self.with(body, "redirect_uris", [.string(Self.redirect), 5]), "invalid_redirect_uri"),
                (
                    "secret method", Self.with(body, "token_endpoint_auth_method", "client_secret_basic"),
                    "invalid_client_metadata"
                ),
                ("private_key_jwt", Self.with(body, "token_endpoint_auth_method", "private_key_jwt"), "invalid_client_metadata"),
                ("blank name", Self.with(body, "client_name", "   "), "invalid_client_metadata"),
                ("control in name", Self.with(body, "client_name", "Good\u{7}app"), "invalid_client_metadata"),
                ("bidi override in name", Self.with(body, "client_name", "evil\u{202E}gpj.exe"), "invalid_client_metadata"),
                (
                    "long name", Self.with(body, "client_name", .string(String(repeating: "n", count: 201))),
                    "invalid_client_metadata"
                ),
                ("name a number", Self.with(body, "client_name", 7), "invalid_client_metadata"),
                ("implicit", Self.with(body, "grant_types", ["implicit"]), "invalid_client_metadata"),
                ("refresh only", Self.with(body, "grant_types", ["refresh_token"]), "invalid_client_metadata"),
                (
                    "client credentials", Self.with(body, "grant_types", ["authorization_code", "client_credentials"]),
                    "invalid_client_metadata"
                ),
                ("token response", Self.with(body, "response_types", ["token"]), "invalid_client_metadata"),
                ("application type", Self.with(body, "application_type", "desktop"), "invalid_client_metadata"),
                ("scope a list", Self.with(body, "scope", ["orders:read"]), "invalid_client_metadata"),
            ]
            try await fixture.test { client in
                for (label, request, expected) in cases {
                    let response = try await Self.register(client, request)
                    EdgeAuthorizationServerTests.expectOAuthError(response, expected)
                    #expect(response.json?["error"] == .string(expected), "\(label)")
                }
                // Not JSON, not an object, not declared JSON, too large.
                EdgeAuthorizationServerTests.expectOAuthError(
                    try await Self.register(client, "redirect_uris=x"), "invalid_client_metadata")
                EdgeAuthorizationServerTests.expectOAuthError(
                    try await Self.register(client, "[1]"), "invalid_client_metadata")
                EdgeAuthorizationServerTests.expectOAuthError(
                    try await Self.register(
                        client, Self.mcpClientBody.encodedString(), contentType: "application/x-www-form-urlencoded"),
                    "invalid_client_metadata")
                let padded = Self.with(Self.mcpClientBody, "client_uri", .string(String(repeating: "a", count: 16_400)))
                EdgeAuthorizationServerTests.expectOAuthError(
                    try await Self.register(client, padded), "invalid_request", status: .contentTooLarge)
                let get = try await client.get("/oauth/register")
                #expect(get.status == .methodNotAllowed)
                #expect(get.headers[.allow] == "POST, OPTIONS")
            }
            #expect(try await Self.stored(fixture).isEmpty)
        }
    }

    @Test func registrationsPerAddressAreCapped() async throws {
        try await EdgeFixture.run(Self.settings.merging(["OAUTH_REGISTER_PER_IP_PER_HOUR": "2"]) { $1 }) { fixture in
            try await fixture.test { client in
                #expect(try await Self.register(client, Self.mcpClientBody).status == .created)
                #expect(try await Self.register(client, Self.mcpClientBody).status == .created)
                let third = try await Self.register(client, Self.mcpClientBody)
                EdgeAuthorizationServerTests.expectOAuthError(third, "rate_limited", status: .tooManyRequests)
                // An hourly budget: the next token is about 30 minutes away.
                #expect((1700...1800).contains(Int(third.headers[.retryAfter] ?? "") ?? 0), "\(third.headers)")
                // Only registration is capped.
                #expect(try await client.get("/.well-known/oauth-authorization-server").status == .ok)
            }
            #expect(try await Self.stored(fixture).count == 2)
        }
    }
}
