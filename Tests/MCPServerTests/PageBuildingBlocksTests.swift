import App
import HTTPTypes
import Testing

@testable import MCPServer

/// The pieces every page relies on: escaping, form parsing, URL building, cookies, CSRF tokens.
struct PageBuildingBlocksTests {
    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        let name = #"<script>alert("x")</script> & 'q'"#
        let inner: HTML = "<b>\(name)</b>"
        let page: HTML = "<p title=\"\(name)\">\(inner)</p>"
        #expect(
            page.description
                == "<p title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;\"><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</b></p>"
        )
    }

    @Test func aRefusedMetadataDocumentIsNamedByItsCodeOnlyAndUnavailableIsA503() {
        for error in [
            ClientMetadataError(.badStatus, status: 418), ClientMetadataError(.redirect, status: 302),
            ClientMetadataError(.invalidDocument, field: "redirect_uris"), ClientMetadataError(.privateAddress),
            ClientMetadataError(.timeout),
        ] {
            let page = AuthorizeEndpoint.page(for: .metadata(error))
            #expect(page.status == .badRequest)
            let html = page.html?.description ?? ""
            #expect(html.contains("<p>The application&#39;s metadata document could not be used (\(error.code.rawValue)).</p>"))
            #expect(!html.contains("418") && !html.contains("302") && !html.contains("redirect_uris"))
        }
        for error in [OAuthClientLookupError.unavailable, .metadata(ClientMetadataError(.unavailable))] {
            let page = AuthorizeEndpoint.page(for: error)
            #expect(page.status == .serviceUnavailable)
            #expect(page.html?.description.contains("Unknown application") == false)
        }
        #expect(AuthorizeEndpoint.page(for: .unknownClient).status == .badRequest)
    }

    @Test func formFieldsDecodePlusAndPercentKeepRepeatsAndRefuseBrokenEscapes() throws {
        let fields = try #require(FormFields(parsing: "a=1+2&scope=x%3Ay&scope=z&empty=&flag"))
        #expect(fields.single("a") == "1 2")
        #expect(fields.all("scope") == ["x:y", "z"])
        #expect(fields.single("scope") == nil)
        #expect(fields.single("empty") == "")
        #expect(fields.single("flag") == "")
        #expect(FormFields(parsing: "a=%zz") == nil)
        #expect(FormFields(parsing: "a=%C3") == nil)
    }

    @Test func urlQueryEscapesEverythingButUnreserved() {
        #expect(URLQuery.escape("a b&c=d/é~") == "a%20b%26c%3Dd%2F%C3%A9~")
        #expect(URLQuery.appending([("code", "c")], to: "http://h/cb") == "http://h/cb?code=c")
        #expect(URLQuery.appending([("code", "c")], to: "http://h/cb?") == "http://h/cb?code=c")
    }

    @Test func cookiesAreHostPrefixedSecureHttpOnlyLaxAndReadOnlyWhenUnique() {
        #expect(
            PageCookie.set(PageCookie.session, value: "abc", maxAge: .seconds(60))
                == "__Host-odmcp_web=abc; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax")
        var headers: HTTPFields = [.cookie: "other=1; __Host-odmcp_web=abc_-9"]
        #expect(PageCookie.value(PageCookie.session, in: headers) == "abc_-9")
        headers.append(HTTPField(name: .cookie, value: "__Host-odmcp_web=def"))
        #expect(PageCookie.value(PageCookie.session, in: headers) == nil)
        #expect(PageCookie.value(PageCookie.session, in: [.cookie: "__Host-odmcp_web=a%3Cb"]) == nil)
        #expect(PageCookie.value(PageCookie.binding, in: [.cookie: "x__Host-odmcp_signin=a"]) == nil)
    }

    @Test func csrfTokensDependOnTheBindingAndTheKey() throws {
        let one = PageCSRF(key: Array(repeating: 1, count: 32))
        let two = PageCSRF(key: Array(repeating: 2, count: 32))
        let token = one.signInToken(binding: "b1")
        #expect(one.isValidSignInToken(token, binding: "b1"))
        #expect(!one.isValidSignInToken(token, binding: "b2"))
        #expect(!two.isValidSignInToken(token, binding: "b1"))
        #expect(!one.isValidSignInToken(nil, binding: "b1"))
        let secret = Array(repeating: UInt8(7), count: 32)
        let session = PageCSRF.sessionToken(secret: secret, action: "/consent")
        #expect(PageCSRF.isValidSessionToken(session, secret: secret, action: "/consent"))
        #expect(!PageCSRF.isValidSessionToken(session, secret: secret, action: "/account/grants/revoke"))
    }

    @Test func theConsentPolicyAddsOnlyAWellFormedRedirectOrigin() {
        #expect(ConsentView.redirectOrigin("http://127.0.0.1:33418/callback?x=1") == "http://127.0.0.1:33418")
        #expect(ConsentView.redirectHost("https://app.example/cb") == "app.example")
        #expect(ConsentView.redirectOrigin("https://a;script-src *.example/cb") == nil)
        #expect(
            PageResponse.contentSecurityPolicy(formActionOrigin: "https://app.example")
                == "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://app.example; "
                + "frame-ancestors 'none'; base-uri 'none'")
    }
}
