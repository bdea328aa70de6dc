import App
import Testing

@testable import MCPServer

/// The database-free checks of `GET /oauth/authorize`, in their order.
struct AuthorizationParametersTests {
    static let resource = "http://127.0.0.1:8080/mcp"
    static let challenge = PKCE.s256Challenge(forVerifier: String(repeating: "v", count: 64))

    static func fields(_ overrides: [(String, String?)] = []) -> FormFields {
        var values: [(String, String?)] = [
            ("response_type", "code"), ("client_id", "odc_x"), ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("state", "s t"), ("code_challenge", challenge), ("code_challenge_method", "S256"),
            ("resource", resource), ("scope", "orders:read"),
        ]
        for (name, value) in overrides {
            values.removeAll { $0.0 == name }
            values.append((name, value))
        }
        let text = URLQuery.encode(values.compactMap { pair in pair.1.map { (pair.0, $0) } })
        return FormFields(parsing: Substring(text))!
    }

    static func refusal(_ fields: FormFields) -> String? {
        if case .failure(let refusal) = AuthorizationParameters.validate(fields, resource: resource) { return refusal.code }
        return nil
    }

    @Test func aCompleteRequestIsAcceptedWithItsStateChallengeAndScopes() throws {
        let accepted = try AuthorizationParameters.validate(Self.fields(), resource: Self.resource).get()
        #expect(accepted == .init(state: "s t", codeChallenge: Self.challenge, scopes: ["orders:read"]))
    }

    @Test func clientAndRedirectMustEachBeGivenOnce() {
        #expect(throws: AuthorizationParameters.PageRefusal.missingClientID) {
            try AuthorizationParameters.clientAndRedirect(Self.fields([("client_id", nil)])).get()
        }
        #expect(throws: AuthorizationParameters.PageRefusal.missingRedirectURI) {
            try AuthorizationParameters.clientAndRedirect(Self.fields([("redirect_uri", "")])).get()
        }
        let doubled = FormFields(parsing: "client_id=a&client_id=b&redirect_uri=x")!
        #expect(throws: AuthorizationParameters.PageRefusal.missingClientID) {
            try AuthorizationParameters.clientAndRedirect(doubled).get()
        }
    }

    @Test func eachRedirectedRefusalHasItsRFCErrorCode() {
        #expect(Self.refusal(Self.fields([("response_type", "token")])) == "unsupported_response_type")
        #expect(Self.refusal(Self.fields([("code_challenge", nil)])) == "invalid_request")
        #expect(Self.refusal(Self.fields([("code_challenge_method", "plain")])) == "invalid_request")
        #expect(Self.refusal(Self.fields([("code_challenge_method", nil)])) == "invalid_request")
        #expect(Self.refusal(Self.fields([("resource", "http://127.0.0.1:8080/other")])) == "invalid_target")
        #expect(Self.refusal(Self.fields([("scope", "orders:read admin")])) == "invalid_scope")
        #expect(Self.refusal(Self.fields([("state", String(repeating: "s", count: 1025))])) == "invalid_request")
        #expect(
            Self.refusal(FormFields(parsing: Substring(URLQuery.encode([("scope", "a")]) + "&scope=b"))!) == "invalid_request")
    }

    @Test func stateMustBePrintableASCIIAndAtMost1024Characters() throws {
        for bad in [
            "a\u{0}b", "\u{0}", "tab\there", "line\nbreak", "del\u{7F}", "caf\u{E9}", String(repeating: "s", count: 1025),
        ] {
            #expect(Self.refusal(Self.fields([("state", bad)])) == "invalid_request", "\(bad.debugDescription)")
            #expect(AuthorizationParameters.echoedState(Self.fields([("state", bad)])) == nil)
        }
        let longest = String(repeating: "~", count: 1024)
        #expect(
            try AuthorizationParameters.validate(Self.fields([("state", longest)]), resource: Self.resource).get().state
                == longest)
        #expect(AuthorizationParameters.echoedState(Self.fields([("state", " !~")])) == " !~")
        // An empty state is no state.
        #expect(try AuthorizationParameters.validate(Self.fields([("state", "")]), resource: Self.resource).get().state == nil)
    }

    @Test func clientIDAndRedirectURIMustBePrintableASCIIAndAtMost2048Characters() {
        for (name, bad) in [
            ("client_id", "odc_\u{0}x"), ("redirect_uri", "http://127.0.0.1:9/cb\u{0}"),
            ("redirect_uri", "https://b\u{FC}cher.example/cb"),
            ("client_id", "https://app.example/" + String(repeating: "c", count: 2048)),
        ] {
            #expect(throws: AuthorizationParameters.PageRefusal.malformedClientOrRedirect, "\(name)") {
                try AuthorizationParameters.clientAndRedirect(Self.fields([(name, bad)])).get()
            }
        }
    }

    @Test func scopesDropOfflineAccessDefaultToReadAndComeInAFixedOrder() throws {
        #expect(
            try AuthorizationParameters.scopes("stores:manage orders:read offline_access").get() == [
                "orders:read", "stores:manage",
            ])
        #expect(try AuthorizationParameters.scopes(nil).get() == ["orders:read"])
        #expect(try AuthorizationParameters.scopes("offline_access").get() == ["orders:read"])
        #expect(try AuthorizationParameters.scopes("orders:write  orders:write").get() == ["orders:write"])
    }

    @Test func aMissingResourceMeansThisServersOne() throws {
        let accepted = try AuthorizationParameters.validate(Self.fields([("resource", nil)]), resource: Self.resource).get()
        #expect(accepted.scopes == ["orders:read"])
    }

    @Test func aRefusalKeepsTheRedirectURIsQueryAndCarriesStateAndIssuer() {
        let location = AuthorizationParameters.refusalLocation(
            .init(code: "invalid_scope", description: "no"), redirectURI: "https://app.example/cb?x=1", state: "a&b",
            issuer: "http://127.0.0.1:8080")
        #expect(
            location
                == "https://app.example/cb?x=1&error=invalid_scope&error_description=no&state=a%26b&iss=http%3A%2F%2F127.0.0.1%3A8080"
        )
        #expect(AuthorizationParameters.echoedState(Self.fields([("state", nil)])) == nil)
    }
}
