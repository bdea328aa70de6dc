import App
import Cryptography
import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import Postgres
import TestSupport
import Testing

@testable import MCPServer

/// OAuth access tokens (`odat_…`) on the real `/mcp` router with `PUBLIC_BASE_URL` set, in both eras:
/// scopes map onto what a master key may do, a missing scope is a 403 `insufficient_scope` before
/// the tool runs, the token must be for this resource, refusals are 401 `invalid_token` with the
/// protected resource metadata in the challenge, and without `PUBLIC_BASE_URL` nothing changes.
/// Grants and tokens are minted with `GrantStore` itself; nothing here reaches OrderDesk.
@Suite(.serialized) struct EdgeOAuthTokenTests {
    static let base = "http://127.0.0.1:8080"
    static let resource = base + "/mcp"
    static let settings = ["PUBLIC_BASE_URL": base]
    static let metadata = base + "/.well-known/oauth-protected-resource/mcp"
    static let bare = #"Bearer resource_metadata="\#(metadata)", scope="orders:read""#
    static let invalid = bare + #", error="invalid_token""#
    static let client = "https://client.example/oauth/metadata.json"
    static let redirect = "http://127.0.0.1:33418/callback"

    static func stepUp(_ scope: String) -> String {
        #"Bearer error="insufficient_scope", scope="\#(scope)", resource_metadata="\#(metadata)""#
    }

    /// A grant and its first tokens, minted through the code exchange as the token endpoint will.
    static func mint(
        _ fixture: EdgeFixture, tenantID: UUID, scopes: Set<OAuthScope>, storeIDs: Set<String>? = nil,
        resource: String = resource, accessTokenTTL: Duration = .seconds(600)
    ) async throws -> IssuedTokens {
        let store = GrantStore(database: fixture.server.database, accessTokenTTL: accessTokenTTL)
        try await fixture.server.database.withTenantTransaction(tenantID) { tx in
            // createGrant needs a member (a grant stops working once its member is removed).
            try tx.execute(
                "INSERT INTO orderdesk.tenant_members (tenant_id, email) VALUES (\(tenantID), 'ann@example.com') ON CONFLICT DO NOTHING"
            )
        }
        let grant = try await store.createGrant(
            tenantID: tenantID, clientID: client, clientName: "Edge client", memberEmail: try MemberEmail("ann@example.com"),
            scopes: scopes, storeIDs: storeIDs, resource: resource)
        let verifier = Base64URL.encode(SecureRandom.bytes(48))
        let code = try await store.issueCode(
            tenantID: tenantID, grantID: grant.id, redirectURI: redirect,
            codeChallenge: PKCE.s256Challenge(forVerifier: verifier))
        return try await store.exchangeCode(
            code, clientID: client, redirectURI: redirect, codeVerifier: verifier, resource: resource)
    }

    static func names(_ result: JSONValue?) -> [String] {
        result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    static func errorCode(_ result: JSONValue?) -> String? {
        result?["structuredContent"]?["error"]?["code"]?.stringValue
    }

    struct AuditRow: Equatable {
        let action: String
        let outcome: String
        let errorCode: String?
        let actor: String?
    }

    static func audit(_ fixture: EdgeFixture, action: String) async throws -> [AuditRow] {
        try await fixture.scratch.asOwner { tx in
            try tx.query(
                "SELECT action, outcome, error_code, actor FROM orderdesk.audit_log WHERE action = \(action) ORDER BY id"
            ).map {
                AuditRow(
                    action: try $0.decode(String.self, "action"), outcome: try $0.decode(String.self, "outcome"),
                    errorCode: try $0.decode(String?.self, "error_code"), actor: try $0.decode(String?.self, "actor"))
            }
        }
    }

    static func actor(_ tokens: IssuedTokens) -> String { "oauth:" + tokens.grantID.uuidString.lowercased() }

    @Test func aReadTokenReadsInBothErasAndAWriteToolIsAStepUp403() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let tokens = try await Self.mint(fixture, tenantID: tenant.tenantID, scopes: [.ordersRead])
            let token = tokens.accessToken
            let readTools = ToolRegistry.standard.tools.filter { $0.requiredScope == .read && !$0.managesStores }
            try await fixture.test { client in
                // 2026-07-28: the Bearer token on every request.
                let listed = try #require(
                    expectResult(try await client.modern(ModernMessage.request("tools/list"), method: "tools/list", key: token)))
                #expect(Self.names(listed) == readTools.filter { !$0.needsSession }.map(\.name))
                #expect(listed["cacheScope"] == "private")
                let stores = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list", key: token))
                #expect(stores?["isError"] == false, "\(String(describing: stores))")
                let write = try await client.modern(
                    ModernMessage.toolCall("orders_delete", arguments: ["order_id": "1"]), method: "tools/call",
                    name: "orders_delete", key: token)
                expectError(write, .forbidden, -32001, "forbidden", id: 1)
                #expect(write.headers[.wwwAuthenticate] == Self.stepUp("orders:read orders:write"))
                #expect(write.json?["error"]?["data"]?["scope"] == "orders:read orders:write")

                // 2025: a session opened with the token, the token on every request.
                let session = try await client.openSession(key: token)
                let legacyList = expectResult(
                    try await client.post(MCPMessage.request("tools/list"), key: token, session: session))
                #expect(Self.names(legacyList) == readTools.map(\.name))
                let legacyStores = expectResult(
                    try await client.post(MCPMessage.toolCall("stores_list"), key: token, session: session))
                #expect(legacyStores?["isError"] == false, "\(String(describing: legacyStores))")
                let legacyWrite = try await client.post(
                    MCPMessage.toolCall("orders_delete", arguments: ["order_id": "1"]), key: token, session: session)
                expectError(legacyWrite, .forbidden, -32001, "forbidden", id: 1)
                #expect(legacyWrite.headers[.wwwAuthenticate] == Self.stepUp("orders:read orders:write"))
            }
            let actor = Self.actor(tokens)
            #expect(
                try await Self.audit(fixture, action: "stores_list")
                    == Array(repeating: AuditRow(action: "stores_list", outcome: "ok", errorCode: nil, actor: actor), count: 2))
            // Refused before the tool ran: no `started` row, one denied row per call.
            #expect(
                try await Self.audit(fixture, action: "orders_delete")
                    == Array(
                        repeating: AuditRow(action: "orders_delete", outcome: "denied", errorCode: "forbidden", actor: actor),
                        count: 2))
        }
    }

    @Test func aWriteTokenPassesTheScopeGateButStoreToolsNeedStoresManage() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let writer = try await Self.mint(fixture, tenantID: tenant.tenantID, scopes: [.ordersRead, .ordersWrite])
            let manager = try await Self.mint(
                fixture, tenantID: tenant.tenantID, scopes: [.ordersRead, .ordersWrite, .storesManage])
            let limitedManager = try await Self.mint(
                fixture, tenantID: tenant.tenantID, scopes: [.ordersRead, .ordersWrite, .storesManage], storeIDs: ["10001"])
            let register: JSONValue = ["store_id": "10001", "api_key": "not-a-real-key", "name": "Main"]
            try await fixture.test { client in
                let listed = expectResult(
                    try await client.modern(
                        ModernMessage.request("tools/list"), method: "tools/list", key: writer.accessToken))
                #expect(Self.names(listed).contains("orders_delete"))
                #expect(!Self.names(listed).contains("stores_register"))
                #expect(listed?["cacheScope"] == "private")
                let managerList = expectResult(
                    try await client.modern(
                        ModernMessage.request("tools/list"), method: "tools/list", key: manager.accessToken))
                #expect(Self.names(managerList).contains("stores_register"))

                // The write runs (and fails on the store it names, not on the scope).
                let write = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("orders_delete", arguments: ["order_id": "1", "store": "nope"]),
                        method: "tools/call", name: "orders_delete", key: writer.accessToken))
                #expect(Self.errorCode(write) == "not_found", "\(String(describing: write))")

                let refused = try await client.modern(
                    ModernMessage.toolCall("stores_register", arguments: register), method: "tools/call",
                    name: "stores_register", key: writer.accessToken)
                expectError(refused, .forbidden, -32001, "forbidden", id: 1)
                #expect(refused.headers[.wwwAuthenticate] == Self.stepUp("orders:read stores:manage"))

                // stores:manage passes the gate (OrderDesk is unreachable here, so the call then fails).
                let managed = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("stores_register", arguments: register), method: "tools/call",
                        name: "stores_register", key: manager.accessToken))
                #expect(managed?["isError"] == true)
                #expect(Self.errorCode(managed) != "forbidden", "\(String(describing: managed))")

                // A grant limited to some stores may not manage stores, like a limited key.
                let limited = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("stores_register", arguments: register), method: "tools/call",
                        name: "stores_register", key: limitedManager.accessToken))
                #expect(Self.errorCode(limited) == "forbidden", "\(String(describing: limited))")
            }
            let deletes = try await Self.audit(fixture, action: "orders_delete")
            #expect(deletes.map(\.actor) == [Self.actor(writer)])
            #expect(deletes.map(\.errorCode) == ["not_found"])
        }
    }

    @Test func aTokenLimitedToOneStoreCannotSelectAnother() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            _ = try await StoreScopedKeyEdgeTests.insertStores(tenantID: tenant.tenantID, fixture: fixture)
            let tokens = try await Self.mint(fixture, tenantID: tenant.tenantID, scopes: [.ordersRead], storeIDs: ["10001"])
            try await fixture.test { client in
                let listed = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list",
                        key: tokens.accessToken))
                let names = listed?["structuredContent"]?["stores"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                #expect(names == ["Main"], "\(String(describing: listed))")
                let other = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("stores_resolve", arguments: ["store": "10002"]), method: "tools/call",
                        name: "stores_resolve", key: tokens.accessToken))
                #expect(Self.errorCode(other) == "not_found", "\(String(describing: other))")
                let own = expectResult(
                    try await client.modern(
                        ModernMessage.toolCall("stores_resolve", arguments: ["store": "10001"]), method: "tools/call",
                        name: "stores_resolve", key: tokens.accessToken))
                #expect(own?["isError"] == false, "\(String(describing: own))")
            }
        }
    }

    @Test func refusedTokensAre401InvalidTokenWithTheMetadataChallenge() async throws {
        try await EdgeFixture.run(Self.settings) { fixture in
            let tenant = try await fixture.createTenant()
            let other = try await Self.mint(
                fixture, tenantID: tenant.tenantID, scopes: [.ordersRead], resource: "http://127.0.0.1:8081/mcp")
            let expired = try await Self.mint(
                fixture, tenantID: tenant.tenantID, scopes: [.ordersRead], accessTokenTTL: .milliseconds(200))
            let revoked = try await Self.mint(fixture, tenantID: tenant.tenantID, scopes: [.ordersRead])
            try await GrantStore(database: fixture.server.database).revoke(token: revoked.accessToken, clientID: nil)
            let live = try await Self.mint(fixture, tenantID: tenant.tenantID, scopes: [.ordersRead])
            try await Task.sleep(for: .milliseconds(400))
            let unknown = OAuthTokenFormat.access.prefix + Base64URL.encode(SecureRandom.bytes(32))
            let refused = [
                other.accessToken, expired.accessToken, revoked.accessToken, unknown, "odat_garbage",
                live.refreshToken,
            ]
            try await fixture.test { client in
                for token in refused {
                    for response in [
                        try await client.modern(
                            ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list", key: token),
                        try await client.post(MCPMessage.initialize(), key: token),
                    ] {
                        // Refused before the body is read: the answer names no request.
                        expectError(response, .unauthorized, -32001, "unauthorized")
                        #expect(response.headers[.wwwAuthenticate] == Self.invalid, "\(token.prefix(5))")
                    }
                }
                let missing = try await client.modern(
                    ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list")
                #expect(missing.status == .unauthorized)
                #expect(missing.headers[.wwwAuthenticate] == Self.bare)
                // The live token and the master key still work.
                for key in [live.accessToken, tenant.masterKey] {
                    let ok = expectResult(
                        try await client.modern(
                            ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list", key: key))
                    #expect(ok?["isError"] == false)
                }
            }
            let reasons = try await fixture.scratch.asOwner { tx in
                try tx.query(
                    "SELECT params->>'reason' AS reason FROM orderdesk.audit_log WHERE action = 'auth.failed' ORDER BY id"
                ).map { try $0.decode(String.self, "reason") }
            }
            // Each refused access token is `invalid_token`; the refresh token is not one (a malformed key).
            #expect(reasons == Array(repeating: "invalid_token", count: 10) + ["malformed", "malformed", "missing"])
        }
    }

    @Test func refusedTokensSpendTheFailedLoginBudget() async throws {
        try await EdgeFixture.run(Self.settings.merging(["AUTH_FAILURES_PER_MINUTE": "2"]) { $1 }) { fixture in
            let unknown = OAuthTokenFormat.access.prefix + Base64URL.encode(SecureRandom.bytes(32))
            try await fixture.test { client in
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<3 {
                    statuses.append(
                        try await client.modern(
                            ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list", key: unknown
                        ).status)
                }
                #expect(statuses == [.unauthorized, .unauthorized, .tooManyRequests])
            }
        }
    }

    @Test func withoutPublicBaseURLATokenIsRefusedAndTheChallengeKeepsItsRealm() async throws {
        try await EdgeFixture.run { fixture in
            let tenant = try await fixture.createTenant()
            let tokens = try await Self.mint(fixture, tenantID: tenant.tenantID, scopes: [.ordersRead])
            try await fixture.test { client in
                let refused = try await client.modern(
                    ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list",
                    key: tokens.accessToken)
                expectError(refused, .unauthorized, -32001, "unauthorized")
                #expect(refused.headers[.wwwAuthenticate] == Challenge.invalidToken)
                let missing = try await client.modern(
                    ModernMessage.toolCall("stores_list"), method: "tools/call", name: "stores_list")
                #expect(missing.headers[.wwwAuthenticate] == Challenge.bare)
            }
        }
    }

    @Test(arguments: [
        "http://127.0.0.1:8080", "https://mcp.example.com", "https://mcp.example.com:8443", "http://[::1]:8080",
    ])
    func acceptedPublicBaseURLs(_ text: String) throws {
        let resource = try ProtectedResource(publicBaseURL: text)
        #expect(resource.resource == text + "/mcp")
        #expect(resource.metadataURL == text + "/.well-known/oauth-protected-resource/mcp")
    }

    @Test(arguments: [
        "https://mcp.example.com/", "https://mcp.example.com/base", "HTTPS://mcp.example.com", "https://MCP.example.com",
        "ftp://mcp.example.com", "mcp.example.com", "https://mcp.example.com?x=1", "https://mcp.example.com#f",
        "https://user:pw@mcp.example.com", "https://mcp.example.com:443", "http://mcp.example.com:80", "https://",
    ])
    func refusedPublicBaseURLs(_ text: String) throws {
        #expect(throws: ConfigurationError.self) { try ProtectedResource(publicBaseURL: text) }
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration(
                reader: EnvironmentReader(
                    EdgeServer.environment(databaseURL: "postgresql://127.0.0.1:1/x", ["PUBLIC_BASE_URL": text])))
        }
    }
}
