import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

@testable import MCPServer

/// `/account/grants`: a signed-in member sees the tenant's grants and revokes one.
@Suite(.serialized) struct EdgeGrantsPageTests {
    @Test func aMemberSignsInWithoutAnApplicationSeesTheGrantAndRevokesIt() async throws {
        try await PageScenario.run { scenario in
            let grants = GrantStore(database: scenario.fixture.server.database)
            let grant = try await grants.createGrant(
                tenantID: scenario.tenantID, clientID: scenario.clientID, clientName: "Claude <Desktop>",
                memberEmail: try MemberEmail(PageScenario.member), scopes: [.ordersRead], storeIDs: nil,
                resource: PageScenario.resource)
            let code = try await grants.issueCode(
                tenantID: scenario.tenantID, grantID: grant.id, redirectURI: PageScenario.redirect,
                codeChallenge: scenario.challenge)
            let tokens = try await grants.exchangeCode(
                code, clientID: scenario.clientID, redirectURI: PageScenario.redirect, codeVerifier: scenario.verifier,
                resource: nil)
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                #expect(try await browser.get(client, "/account/grants").headers[.location] == "/signin")
                let form = try await browser.get(client, "/signin")
                let csrf = try #require(PageBrowser.hidden("csrf", in: form))
                #expect(PageBrowser.hidden("request", in: form) == "")
                let sent = try await browser.post(client, "/signin", [("email", PageScenario.member), ("csrf", csrf)])
                #expect(sent.headers[.location] == "/signin/sent")
                let landing = try await browser.get(client, try await scenario.mailedLink())
                #expect(landing.headers[.location] == "/account/grants")

                let page = try await browser.get(client, "/account/grants")
                #expect(page.status == .ok)
                let id = grant.id.uuidString.lowercased()
                let html = PageBrowser.text(page)
                #expect(html.contains(#"<tr data-grant-id="\#(id)">"#))
                #expect(html.contains(#"id="revoke-\#(id)""#))
                #expect(html.contains("Claude &lt;Desktop&gt;"))
                let token = try #require(PageBrowser.hidden("csrf", in: page))
                let revoked = try await browser.post(client, "/account/grants/revoke", [("grant", id), ("csrf", token)])
                #expect(revoked.status == .seeOther)
                #expect(revoked.headers[.location] == "/account/grants")
                #expect(try await grants.verifyAccessToken(tokens.accessToken) == nil)
                let after = PageBrowser.text(try await browser.get(client, "/account/grants"))
                #expect(!after.contains(#"id="revoke-\#(id)""#))
                #expect(after.contains("revoked"))
            }
            let rows = try await scenario.fixture.scratch.asOwner { tx in
                try tx.query("SELECT target FROM orderdesk.audit_log WHERE action = 'oauth.grant_revoked'")
                    .map { try $0.decode(String?.self, "target") }
            }
            #expect(rows == [grant.id.uuidString.lowercased()])
        }
    }
}
