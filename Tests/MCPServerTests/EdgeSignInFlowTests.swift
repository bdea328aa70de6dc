import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import Postgres
import Testing

@testable import MCPServer

/// The browser side of OAuth on the real router and a real database: authorize → sign-in → the
/// mailed link → consent → a code the token exchange accepts, and what each step refuses.
@Suite(.serialized) struct EdgeSignInFlowTests {
    static let redirectOrigin = "http://127.0.0.1:33418"

    @Test func theWholeFlowEndsWithACodeThatExchangesForTokensLimitedToTheChosenStore() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                let requestID = try await scenario.signIn(&browser, client)
                #expect(browser.cookies[PageCookie.session]?.count == 43)

                let consent = try await browser.get(client, "/consent?request=\(requestID)")
                #expect(consent.status == .ok)
                let html = PageBrowser.text(consent)
                #expect(html.contains(#"<strong id="client-name">Claude Desktop</strong>"#))
                #expect(html.contains(#"<dd id="redirect-host">127.0.0.1:33418</dd>"#))
                #expect(
                    html.contains(#"<input type="checkbox" name="scope" value="orders:read" id="scope-orders-read" checked>"#))
                #expect(html.contains(#"value="orders:write" id="scope-orders-write" checked>"#))
                #expect(!html.contains(#"value="stores:manage""#))
                #expect(html.contains(#"<input type="radio" name="stores" value="all" id="stores-all" checked>"#))
                #expect(html.contains(#"<input type="checkbox" name="store" value="40001" id="store-40001">"#))
                #expect(consent.headers[.contentSecurityPolicy]?.contains("form-action 'self' \(Self.redirectOrigin);") == true)

                let csrf = try #require(PageBrowser.hidden("csrf", in: consent))
                let allow = try await browser.post(
                    client, "/consent",
                    [
                        ("request", requestID), ("csrf", csrf), ("scope", "orders:read"), ("stores", "selected"),
                        ("store", PageScenario.storeID), ("decision", "allow"),
                    ])
                #expect(allow.status == .seeOther)
                let location = try #require(allow.headers[.location])
                #expect(location.hasPrefix(PageScenario.redirect + "?code=odac_"))
                #expect(PageBrowser.parameter("state", in: location) == "st-123")
                #expect(PageBrowser.parameter("iss", in: location) == PageScenario.base)
                let code = try #require(PageBrowser.parameter("code", in: location))

                let grants = GrantStore(database: scenario.fixture.server.database)
                let tokens = try await grants.exchangeCode(
                    code, clientID: scenario.clientID, redirectURI: PageScenario.redirect,
                    codeVerifier: scenario.verifier, resource: PageScenario.resource)
                #expect(tokens.scopes == [.ordersRead])
                let verified = try #require(try await grants.verifyAccessToken(tokens.accessToken))
                #expect(verified.storeIDs == [PageScenario.storeID])
                #expect(verified.tenantID == scenario.tenantID)

                // Answered once: the request is gone.
                #expect(try await browser.get(client, "/consent?request=\(requestID)").status == .badRequest)
                let again = try await browser.post(
                    client, "/consent",
                    [("request", requestID), ("csrf", csrf), ("scope", "orders:read"), ("stores", "all"), ("decision", "allow")])
                #expect(again.status == .badRequest)
            }
            let audit = try await scenario.fixture.scratch.asOwner { tx in
                try tx.query(
                    "SELECT actor, target, params::text AS params FROM orderdesk.audit_log WHERE action = 'oauth.grant_created'"
                )
                .map { (try $0.decode(String?.self, "actor"), try $0.decode(String.self, "params")) }
            }
            #expect(audit.count == 1)
            #expect(audit.first?.0 == "member:\(PageScenario.member)")
            #expect(audit.first?.1.contains(#""stores": ["40001"]"#) == true)
            #expect(audit.first?.1.contains("odac_") == false)
        }
    }

    @Test func aBrowserWithAWebSessionGoesStraightToConsentAndDenyReturnsAccessDenied() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                _ = try await scenario.signIn(&browser, client)
                let second = try await browser.get(client, scenario.authorizeURL(["state": "second"]))
                let location = try #require(second.headers[.location])
                #expect(location.hasPrefix("/consent?request="))
                let consent = try await browser.get(client, location)
                let requestID = try #require(PageBrowser.parameter("request", in: location))
                let deny = try await browser.post(
                    client, "/consent",
                    [
                        ("request", requestID), ("csrf", try #require(PageBrowser.hidden("csrf", in: consent))),
                        ("decision", "deny"),
                    ])
                #expect(deny.status == .seeOther)
                #expect(
                    deny.headers[.location]
                        == PageScenario.redirect + "?error=access_denied&state=second&iss=http%3A%2F%2F127.0.0.1%3A8080")
                #expect(try await browser.get(client, location).status == .badRequest)
            }
        }
    }

    @Test func unknownClientsAndForeignRedirectURIsGetAnErrorPageNeverARedirect() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                for url in [
                    scenario.authorizeURL(["client_id": "odc_" + String(repeating: "A", count: 22)]),
                    scenario.authorizeURL(["client_id": nil]),
                    // A metadata document on a private address is never fetched.
                    scenario.authorizeURL(["client_id": "https://127.0.0.1:9/client.json"]),
                    scenario.authorizeURL(["redirect_uri": "http://127.0.0.1:33418/other"]),
                    scenario.authorizeURL(["redirect_uri": "https://evil.example/callback"]),
                ] {
                    let response = try await browser.get(client, url)
                    #expect(response.status == .badRequest, "\(url)")
                    #expect(response.headers[.location] == nil)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(!PageBrowser.text(response).contains("evil.example"))
                }
                // A refused metadata document is named by its code word only.
                let refused = try await browser.get(
                    client, scenario.authorizeURL(["client_id": "https://127.0.0.1:9/client.json"]))
                #expect(
                    PageBrowser.text(refused).contains(
                        "The application&#39;s metadata document could not be used (private_address)."))
            }
        }
    }

    @Test func aNULOrAnotherUnprintableCharacterInAnyParameterIsRefusedNeverA500() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                for overrides: [String: String?] in [
                    ["client_id": scenario.clientID + "\u{0}"], ["redirect_uri": PageScenario.redirect + "\u{0}"],
                    ["client_id": "https://app.example/c\u{0}.json"],
                ] {
                    let response = try await browser.get(client, scenario.authorizeURL(overrides))
                    #expect(response.status == .badRequest, "\(overrides)")
                    #expect(response.headers[.location] == nil)
                }
                for state in ["\u{0}", "a\u{0}b", "caf\u{E9}", String(repeating: "s", count: 1025)] {
                    let response = try await browser.get(client, scenario.authorizeURL(["state": state]))
                    #expect(response.status == .badRequest)
                    #expect(response.headers[.location] == nil)
                    let link = try #require(Self.returnLink(response))
                    #expect(link.hasPrefix(PageScenario.redirect + "?error=invalid_request&"))
                    #expect(PageBrowser.parameter("state", in: link) == nil)
                }
                for overrides: [String: String?] in [
                    ["scope": "orders:read\u{0}"], ["resource": PageScenario.resource + "\u{0}"],
                    ["code_challenge": scenario.challenge + "\u{0}"], ["response_type": "code\u{0}"],
                    ["prompt": "consent\u{0}"],
                ] {
                    let response = try await browser.get(client, scenario.authorizeURL(overrides))
                    #expect(response.status != .internalServerError, "\(overrides)")
                }
            }
        }
    }

    /// The `href` of the error page's "Return to the application" link, unescaped.
    static func returnLink(_ response: TestResponse) -> String? {
        let html = PageBrowser.text(response)
        guard let start = html.range(of: #"<a id="return" href=""#)?.upperBound else { return nil }
        return String(html[start...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
    }

    @Test func checksAfterTheRedirectURIIsTrustedAreAnErrorPageWithALinkBackNeverARedirect() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                let cases: [([String: String?], String, String)] = [
                    (["response_type": "token"], "unsupported_response_type", "response_type must be code"),
                    (["code_challenge_method": "plain"], "invalid_request", "code_challenge_method must be S256"),
                    (["code_challenge": nil], "invalid_request", "code_challenge (PKCE S256) is required"),
                    (["resource": "https://other.example/mcp"], "invalid_target", "resource must be \(PageScenario.resource)"),
                    (
                        ["scope": "orders:read admin"], "invalid_scope",
                        "scope may hold orders:read, orders:write and stores:manage"
                    ),
                ]
                for (overrides, error, description) in cases {
                    let response = try await browser.get(client, scenario.authorizeURL(overrides))
                    #expect(response.status == .badRequest, "\(overrides)")
                    #expect(response.headers[.location] == nil)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    let html = PageBrowser.text(response)
                    #expect(html.contains("<strong>127.0.0.1:33418</strong>"))
                    #expect(html.contains(">Return to the application</a>"))
                    let link = try #require(Self.returnLink(response))
                    #expect(
                        link
                            == PageScenario.redirect + "?"
                            + URLQuery.encode([
                                ("error", error), ("error_description", description), ("state", "st-123"),
                                ("iss", PageScenario.base),
                            ]), "\(overrides)")
                }
                // Nothing was stored: no request waits for consent.
                let pending = try await scenario.fixture.scratch.asOwner { tx in
                    try tx.query("SELECT count(*) AS n FROM orderdesk.oauth_requests").first?.decode(Int.self, "n")
                }
                #expect(pending == 0)
            }
        }
    }
}
