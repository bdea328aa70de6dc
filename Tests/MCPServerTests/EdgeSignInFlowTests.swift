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
                // A member of several tenants (or on a shared browser) can sign in again for this request.
                #expect(PageBrowser.text(consent).contains(#"id="switch-account" href="/signin?request=\#(requestID)""#))
                let again = try await browser.get(client, "/signin?request=" + requestID)
                #expect(again.status == .ok)
                #expect(PageBrowser.text(again).contains(#"id="send-link""#))
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
            let denied = try await scenario.fixture.scratch.asOwner { tx in
                try tx.query(
                    "SELECT actor, params::text AS params FROM orderdesk.audit_log WHERE action = 'oauth.grant_denied'"
                ).map { (try $0.decode(String?.self, "actor"), try $0.decode(String.self, "params")) }
            }
            #expect(denied.count == 1)
            #expect(denied.first?.0 == "member:\(PageScenario.member)")
            #expect(denied.first?.1.contains(#""client_name": "Claude Desktop""#) == true)
            #expect(denied.first?.1.contains("second") == false)  // no state
        }
    }

    /// Counts of grants, codes, grant audit rows and pending requests.
    static func counts(_ scenario: PageScenario) async throws -> [Int] {
        try await scenario.fixture.scratch.asOwner { tx in
            try [
                "SELECT count(*) AS n FROM orderdesk.oauth_grants", "SELECT count(*) AS n FROM orderdesk.oauth_codes",
                "SELECT count(*) AS n FROM orderdesk.audit_log WHERE action = 'oauth.grant_created'",
                "SELECT count(*) AS n FROM orderdesk.oauth_requests",
            ].map { try tx.query(PostgresQuery(unsafeSQL: $0))[0].decode(Int.self, "n") }
        }
    }

    @Test func consentIsOneTransactionAFailedAuditWriteLeavesNoGrantAndTheRequestUsable() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                let requestID = try await scenario.signIn(&browser, client)
                let consent = try await browser.get(client, "/consent?request=\(requestID)")
                let form = [
                    ("request", requestID), ("csrf", try #require(PageBrowser.hidden("csrf", in: consent))),
                    ("scope", "orders:read"), ("stores", "all"), ("decision", "allow"),
                ]
                // The audit row cannot be written (as if the database refused it): nothing remains.
                try await scenario.fixture.scratch.asOwner { tx in
                    try tx.execute(
                        """
                        CREATE FUNCTION orderdesk.test_refuse_grant_audit() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF NEW.action = 'oauth.grant_created' THEN RAISE EXCEPTION 'audit refused'; END IF;
                            RETURN NEW;
                        END $$;
                        """)
                    try tx.execute(
                        """
                        CREATE TRIGGER test_refuse_grant_audit BEFORE INSERT ON orderdesk.audit_log
                        FOR EACH ROW EXECUTE FUNCTION orderdesk.test_refuse_grant_audit()
                        """)
                }
                let failed = try await browser.post(client, "/consent", form)
                #expect(failed.status == .serviceUnavailable)
                #expect(failed.headers[.location] == nil)
                #expect(try await Self.counts(scenario) == [0, 0, 0, 1])

                try await scenario.fixture.scratch.asOwner { tx in
                    try tx.execute("DROP TRIGGER test_refuse_grant_audit ON orderdesk.audit_log")
                }
                let allowed = try await browser.post(client, "/consent", form)
                #expect(allowed.status == .seeOther)
                #expect(allowed.headers[.location]?.hasPrefix(PageScenario.redirect + "?code=odac_") == true)
                #expect(try await Self.counts(scenario) == [1, 1, 1, 0])
            }
        }
    }

    @Test func tooManyStoresOrAStoreOfAnotherTenantIsA400PageAndTheRequestStays() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.server.database.withTenantTransaction(scenario.tenantID) { tx in
                try tx.execute(
                    """
                    INSERT INTO orderdesk.stores (tenant_id, store_id, name, api_key_ciphertext, api_key_tag, api_key_nonce)
                    SELECT \(scenario.tenantID), (50000 + n)::text, 'Shop ' || n, decode('00', 'hex'), decode(repeat('00', 16), 'hex'),
                           decode(repeat('00', 12), 'hex')
                    FROM generate_series(1, 100) AS n
                    """)
            }
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                let requestID = try await scenario.signIn(&browser, client)
                let consent = try await browser.get(client, "/consent?request=\(requestID)")
                let base = [
                    ("request", requestID), ("csrf", try #require(PageBrowser.hidden("csrf", in: consent))),
                    ("scope", "orders:read"), ("stores", "selected"), ("decision", "allow"),
                ]
                let all101 = [PageScenario.storeID] + (1...100).map { String(50000 + $0) }
                for (stores, problem) in [
                    (all101, "Choose at most 100 stores"), ([PageScenario.storeID, "99999"], "not one of this tenant"),
                ] {
                    let response = try await browser.post(client, "/consent", base + stores.map { ("store", $0) })
                    #expect(response.status == .badRequest)
                    #expect(PageBrowser.text(response).contains(problem))
                    #expect(response.headers[.location] == nil)
                }
                #expect(try await Self.counts(scenario) == [0, 0, 0, 1])
                let hundred = try await browser.post(client, "/consent", base + all101.dropLast().map { ("store", $0) })
                #expect(hundred.status == .seeOther)
                #expect(try await Self.counts(scenario) == [1, 1, 1, 0])
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
