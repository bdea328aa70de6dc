import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import Postgres
import Testing

@testable import MCPServer

/// What the sign-in pages refuse: forged forms, other browsers, used and expired links, too many
/// requests, and what they never reveal (who is a member) or render raw (a client's name).
@Suite(.serialized) struct EdgeSignInRefusalTests {
    @Test func everyPostWithoutTheRightCSRFTokenIsA403Page() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                let requestID = try await scenario.askForLink(&browser, client)
                for csrf in [nil, "wrong", String(repeating: "A", count: 43)] {
                    var form = [("email", PageScenario.member), ("request", requestID)]
                    if let csrf { form.append(("csrf", csrf)) }
                    let response = try await browser.post(client, "/signin", form)
                    #expect(response.status == .forbidden)
                    #expect(PageBrowser.text(response).contains("<h1>Request refused</h1>"))
                }
                // A valid token of another browser (another binding) is as wrong as none.
                var other = PageBrowser()
                let otherForm = try await other.get(client, "/signin")
                let foreign = try #require(PageBrowser.hidden("csrf", in: otherForm))
                #expect(
                    try await browser.post(client, "/signin", [("email", PageScenario.member), ("csrf", foreign)]).status
                        == .forbidden)

                let landing = try await browser.get(client, try await scenario.mailedLink())
                #expect(landing.status == .seeOther)
                let consent = try await browser.get(client, "/consent?request=\(requestID)")
                #expect(consent.status == .ok)
                for csrf in [nil, "wrong", try #require(PageBrowser.hidden("csrf", in: otherForm))] {
                    var form = [("request", requestID), ("decision", "allow"), ("scope", "orders:read"), ("stores", "all")]
                    if let csrf { form.append(("csrf", csrf)) }
                    #expect(try await browser.post(client, "/consent", form).status == .forbidden)
                    var revoke = [("grant", UUID().uuidString)]
                    if let csrf { revoke.append(("csrf", csrf)) }
                    #expect(try await browser.post(client, "/account/grants/revoke", revoke).status == .forbidden)
                }
                // The consent token answers its own request only.
                let second = try await browser.get(client, scenario.authorizeURL(["state": "second"]))
                let secondID = try #require(PageBrowser.parameter("request", in: second.headers[.location] ?? ""))
                #expect(
                    try await browser.post(
                        client, "/consent",
                        [
                            ("request", secondID), ("decision", "allow"), ("scope", "orders:read"), ("stores", "all"),
                            ("csrf", try #require(PageBrowser.hidden("csrf", in: consent))),
                        ]
                    ).status == .forbidden)
                // The consent token does not work for another form.
                let consentToken = try #require(PageBrowser.hidden("csrf", in: consent))
                #expect(
                    try await browser.post(
                        client, "/account/grants/revoke", [("grant", UUID().uuidString), ("csrf", consentToken)]
                    )
                    .status == .forbidden)
                // The request survived every refused POST.
                #expect(try await browser.get(client, "/consent?request=\(requestID)").status == .ok)
            }
        }
    }

    /// A valid consent CSRF token of `browser`'s web session for `requestID`, as if an attacker had it.
    static func consentToken(_ browser: PageBrowser, _ scenario: PageScenario, requestID: String) async throws -> String {
        let sessionID = try #require(browser.cookies[PageCookie.session])
        let session = try #require(
            try await WebSessionStore(database: scenario.fixture.server.database).find(sessionID))
        return PageCSRF.consentToken(secret: session.csrfSecret, requestID: requestID)
    }

    @Test func aPendingRequestIsAnsweredOnlyInTheBrowserThatStartedIt() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var victim = PageBrowser()
                let authorize = try await victim.get(client, scenario.authorizeURL())
                let cookie = try #require(
                    authorize.headers[values: .setCookie].first { $0.hasPrefix(PageCookie.browser + "=") })
                #expect(cookie.hasSuffix("; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax"))
                let value = try #require(victim.cookies[PageCookie.browser])
                #expect(value.count == 43)
                let requestID = try #require(PageBrowser.parameter("request", in: authorize.headers[.location] ?? ""))
                // A second request of the same browser shares the value.
                _ = try await victim.get(client, scenario.authorizeURL(["state": "two"]))
                #expect(victim.cookies[PageCookie.browser] == value)

                // A member signed in to the tenant, in another browser, who learnt the request id.
                var attacker = PageBrowser()
                _ = try await scenario.signIn(&attacker, client)
                #expect(attacker.cookies[PageCookie.browser] != value)
                var noCookie = PageBrowser()
                noCookie.cookies[PageCookie.session] = attacker.cookies[PageCookie.session]
                for var browser in [attacker, noCookie] {
                    let seen = try await browser.get(client, "/consent?request=\(requestID)")
                    #expect(seen.status == .forbidden)
                    #expect(PageBrowser.text(seen).contains("This sign-in was started in another browser"))
                    #expect(!PageBrowser.text(seen).contains("Claude Desktop"))
                    let csrf = try await Self.consentToken(attacker, scenario, requestID: requestID)
                    for decision in ["allow", "deny"] {
                        let answer = try await browser.post(
                            client, "/consent",
                            [
                                ("request", requestID), ("csrf", csrf), ("scope", "orders:read"), ("stores", "all"),
                                ("decision", decision),
                            ])
                        #expect(answer.status == .forbidden)
                        #expect(answer.headers[.location] == nil)
                        #expect(PageBrowser.text(answer).contains("This sign-in was started in another browser"))
                    }
                    #expect(try await browser.get(client, "/signin?request=\(requestID)").status == .forbidden)
                }
                // Nor can the other browser ask for a link carrying the request.
                let form = try await attacker.get(client, "/signin")
                let asked = try await attacker.post(
                    client, "/signin",
                    [
                        ("email", PageScenario.member), ("request", requestID),
                        ("csrf", try #require(PageBrowser.hidden("csrf", in: form))),
                    ])
                #expect(asked.status == .forbidden)
                try await Task.sleep(for: .milliseconds(300))
                #expect(try scenario.mailbox.messages().count == 1)

                let grants = try await scenario.fixture.scratch.asOwner { tx in
                    try tx.query("SELECT count(*) AS n FROM orderdesk.oauth_grants")[0].decode(Int.self, "n")
                }
                #expect(grants == 0)
                // The request is untouched for the browser that started it.
                #expect(try await victim.get(client, "/signin?request=\(requestID)").status == .ok)
            }
        }
    }

    @Test func aNonMemberGetsTheSameAnswerAndNoMail() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var stranger = PageBrowser()
                _ = try await scenario.askForLink(&stranger, client, email: "nobody@example.com")
                var member = PageBrowser()
                _ = try await scenario.askForLink(&member, client)
                _ = try await scenario.mailedLink()
                try await Task.sleep(for: .milliseconds(300))
                let messages = try scenario.mailbox.messages()
                #expect(messages.count == 1)
                #expect(messages.allSatisfy { !$0.contains("nobody@example.com") })
            }
        }
    }

    @Test func aLinkOpenedInAnotherBrowserIsRefusedAndStaysUsableInTheRightOne() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                let requestID = try await scenario.askForLink(&browser, client)
                let link = try await scenario.mailedLink()
                var scanner = PageBrowser()
                // With the request: that request is another browser's.
                let refused = try await scanner.get(client, link)
                #expect(refused.status == .forbidden)
                #expect(PageBrowser.text(refused).contains("This sign-in was started in another browser"))
                #expect(scanner.cookies[PageCookie.session] == nil)
                // Without it: the link itself is bound to the browser that asked.
                let token = try #require(PageBrowser.parameter("token", in: link))
                let bare = "/signin/link?" + URLQuery.encode([("token", token)])
                let refusedBare = try await scanner.get(client, bare)
                #expect(refusedBare.status == .badRequest)
                #expect(PageBrowser.text(refusedBare).contains("in the browser where you asked for it"))
                #expect(scanner.cookies[PageCookie.session] == nil)
                var other = PageBrowser()
                _ = try await other.get(client, "/signin")  // a binding of its own
                #expect(try await other.get(client, bare).status == .badRequest)

                let landing = try await browser.get(client, link)
                #expect(landing.headers[.location] == "/consent?request=\(requestID)")
                let reused = try await browser.get(client, link)
                #expect(reused.status == .badRequest)
                #expect(PageBrowser.text(reused).contains("already used"))
            }
        }
    }

    @Test func anExpiredLinkIsRefusedAsExpired() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                _ = try await scenario.askForLink(&browser, client)
                let link = try await scenario.mailedLink()
                try await scenario.fixture.scratch.asOwner { tx in
                    try tx.execute(
                        "UPDATE orderdesk.magic_links SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'"
                    )
                }
                let response = try await browser.get(client, link)
                #expect(response.status == .badRequest)
                #expect(PageBrowser.text(response).contains("expired"))
                #expect(browser.cookies[PageCookie.session] == nil)
            }
        }
    }

    @Test func overThePerAddressLimitTheAnswerIsTheSameButNoMailLeaves() async throws {
        try await PageScenario.run(["SIGNIN_PER_ADDRESS_PER_HOUR": "1"]) { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                _ = try await scenario.askForLink(&browser, client)
                _ = try await scenario.mailedLink()
                _ = try await scenario.askForLink(&browser, client)  // same 303 to the sent page
                try await Task.sleep(for: .milliseconds(300))
                #expect(try scenario.mailbox.messages().count == 1)
            }
        }
    }

    @Test func theSignInPagesHaveAPerAddressBudgetAndAnswer429WithRetryAfter() async throws {
        try await PageScenario.run(["OAUTH_REQUESTS_PER_MINUTE": "1", "OAUTH_REQUESTS_BURST": "2"]) { scenario in
            try await scenario.fixture.test { client in
                // In process every request comes from the same (unknown) address: one bucket.
                for uri in [scenario.authorizeURL(), "/signin", "/signin/link?token=x"] {
                    var browser = PageBrowser()
                    let response = try await browser.get(client, uri)
                    if uri == "/signin/link?token=x" {
                        #expect(response.status == .tooManyRequests)
                        #expect(response.headers[.retryAfter].flatMap(Int.init).map { (1...60).contains($0) } == true)
                        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                        #expect(response.headers[.cacheControl] == "no-store")
                        #expect(PageBrowser.text(response).contains("<h1>Too many requests</h1>"))
                    } else {
                        #expect(response.status != .tooManyRequests, "\(uri)")
                    }
                }
                var browser = PageBrowser()
                #expect(try await browser.get(client, scenario.authorizeURL()).status == .tooManyRequests)
                #expect(try await browser.post(client, "/signin", [("email", PageScenario.member)]).status == .tooManyRequests)
                // Pages that neither write nor fetch are not counted.
                #expect(try await browser.get(client, "/signin/sent").status == .ok)
                #expect(try await browser.get(client, "/assets/site.css").status == .ok)
            }
            #expect(try scenario.mailbox.messages().isEmpty)
        }
    }

    @Test func everyPageCarriesTheSecurityHeadersAndTheCookiesTheirAttributes() async throws {
        try await PageScenario.run { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                let form = try await browser.get(client, "/signin")
                for response in [form, try await browser.get(client, "/signin/sent"), try await browser.get(client, "/consent")] {
                    #expect(
                        response.headers[.contentSecurityPolicy]
                            == "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
                    )
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                    #expect(response.headers[.cacheControl] == "no-store")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff")
                }
                let cookie = try #require(form.headers[.setCookie])
                #expect(cookie.hasPrefix("__Host-odmcp_signin="))
                #expect(cookie.hasSuffix("; Max-Age=900; Path=/; Secure; HttpOnly; SameSite=Lax"))
                #expect(PageBrowser.text(form).contains(#"<html lang="en">"#))
                #expect(PageBrowser.text(form).contains(#"<label for="email">"#))
                let css = try await browser.get(client, "/assets/site.css")
                #expect(css.status == .ok)
                #expect(css.headers[.contentType] == "text/css; charset=utf-8")

                _ = try await scenario.signIn(&browser, client)
                let session = try #require(browser.cookies[PageCookie.session])
                #expect(session.count == 43)
            }
        }
    }

    @Test func aHostileClientNameIsEscapedOnTheConsentPage() async throws {
        let hostile = #"<script>alert(1)</script><img src=x onerror="x">"#
        try await PageScenario.run(clientName: hostile) { scenario in
            try await scenario.fixture.test { client in
                var browser = PageBrowser()
                let requestID = try await scenario.signIn(&browser, client)
                let html = PageBrowser.text(try await browser.get(client, "/consent?request=\(requestID)"))
                #expect(!html.contains("<script>"))
                #expect(!html.contains("<img"))
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;x&quot;&gt;"))
            }
        }
    }

    @Test func withoutPublicBaseURLThePagesAreNotRouted() async throws {
        try await EdgeFixture.run { fixture in
            try await fixture.test { client in
                for uri in ["/oauth/authorize", "/signin", "/consent", "/assets/site.css", "/account/grants"] {
                    let response = try await client.execute(uri: uri, method: .get, headers: [:], body: nil)
                    #expect(response.status == .notFound)
                }
            }
        }
    }
}
