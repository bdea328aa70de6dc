import App
import Cryptography
import Foundation
import HummingbirdTesting
import Postgres
import Testing

@testable import MCPServer

/// One tenant with a member and a store, one registered (DCR) client, and the pending request's
/// PKCE pair: what every page test starts from.
struct PageScenario: Sendable {
    static let base = "http://127.0.0.1:8080"
    static let resource = base + "/mcp"
    static let redirect = "http://127.0.0.1:33418/callback"
    static let member = "ann@example.com"
    static let storeID = "40001"

    let fixture: EdgeFixture
    let mailbox: DropMailbox
    let tenantID: UUID
    let tenantName: String
    let clientID: String
    let verifier = Base64URL.encode(SecureRandom.bytes(48))
    var challenge: String { PKCE.s256Challenge(forVerifier: verifier) }

    /// Runs `body` on a fresh database with `PUBLIC_BASE_URL` and a development mailbox.
    static func run(
        _ settings: [String: String] = [:], clientName: String = "Claude Desktop",
        _ body: @escaping @Sendable (PageScenario) async throws -> Void
    ) async throws {
        let mailbox = try DropMailbox.make()
        defer { mailbox.remove() }
        let all = ["PUBLIC_BASE_URL": base, "MAIL_DROP_DIR": mailbox.directory].merging(settings) { $1 }
        try await EdgeFixture.run(all) { fixture in
            let tenant = try await fixture.createTenant()
            _ = try await TenantMembers(database: fixture.server.database).addMember(
                tenantID: tenant.tenantID, email: member)
            try await fixture.server.database.withTenantTransaction(tenant.tenantID) { tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.stores (tenant_id, store_id, name, api_key_ciphertext, api_key_tag, api_key_nonce)
                    VALUES (\(tenant.tenantID), \(storeID), 'Main shop', \(SecureRandom.bytes(20)),
                            \(SecureRandom.bytes(16)), \(SecureRandom.bytes(12)))
                    """)
            }
            let clientID = "odc_" + Base64URL.encode(SecureRandom.bytes(16))
            try await fixture.scratch.asOwner { tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.oauth_clients (client_id, client_name, redirect_uris)
                    VALUES (\(clientID), \(clientName), \(PostgresTextArray([redirect])))
                    """)
            }
            try await body(
                PageScenario(
                    fixture: fixture, mailbox: mailbox, tenantID: tenant.tenantID, tenantName: tenant.name,
                    clientID: clientID))
        }
    }

    /// The authorize URL with every parameter mcp sends; `overrides` replace (nil removes) one.
    func authorizeURL(_ overrides: [String: String?] = [:]) -> String {
        var pairs: [(String, String?)] = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", Self.redirect), ("state", "st-123"),
            ("code_challenge", challenge), ("code_challenge_method", "S256"), ("resource", Self.resource),
            ("scope", "orders:read orders:write"),
        ]
        for (name, value) in overrides {
            if let index = pairs.firstIndex(where: { $0.0 == name }) {
                pairs[index].1 = value
            } else {
                pairs.append((name, value))
            }
        }
        return "/oauth/authorize?" + URLQuery.encode(pairs.compactMap { pair in pair.1.map { (pair.0, $0) } })
    }

    /// authorize → sign-in form → POST e-mail: the request id (the browser now holds the binding cookie).
    func askForLink(_ browser: inout PageBrowser, _ client: any TestClientProtocol, email: String = member)
        async throws -> String
    {
        let authorize = try await browser.get(client, authorizeURL())
        #expect(authorize.status == .seeOther)
        let location = try #require(authorize.headers[.location])
        #expect(location.hasPrefix("/signin?request="))
        let requestID = try #require(PageBrowser.parameter("request", in: location))
        let form = try await browser.get(client, location)
        #expect(form.status == .ok)
        let csrf = try #require(PageBrowser.hidden("csrf", in: form))
        let sent = try await browser.post(client, "/signin", [("email", email), ("request", requestID), ("csrf", csrf)])
        #expect(sent.status == .seeOther)
        #expect(sent.headers[.location] == "/signin/sent?request=\(requestID)")
        return requestID
    }

    /// The path and query of the one link of the member's one mail, once it arrived.
    func mailedLink(expectedMessages: Int = 1) async throws -> String {
        let messages = try await mailbox.waitFor(expectedMessages)
        #expect(messages.count == expectedMessages)
        let message = try #require(messages.last)
        #expect(message.contains("Subject: Sign in to OrderDesk MCP"))
        #expect(message.contains("To: \(Self.member)"))
        let link = try #require(DropMailbox.links(in: message).first)
        #expect(link.hasPrefix(Self.base + "/signin/link?token="))
        return String(link.dropFirst(Self.base.count))
    }

    /// authorize → sign in → link: a browser with a web session and the pending request's id.
    func signIn(_ browser: inout PageBrowser, _ client: any TestClientProtocol) async throws -> String {
        let requestID = try await askForLink(&browser, client)
        let landing = try await browser.get(client, try await mailedLink())
        #expect(landing.status == .seeOther)
        #expect(landing.headers[.location] == "/consent?request=\(requestID)")
        return requestID
    }
}
