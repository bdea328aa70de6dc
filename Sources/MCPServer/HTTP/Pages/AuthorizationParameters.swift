import App

/// The checks of `GET /oauth/authorize` that need no database, in the order OAuth 2.1 requires.
///
/// First the client and the redirect URI (`clientAndRedirect`): until both are trusted a failure
/// must never redirect anywhere (it would make us an open redirector), so those failures are an
/// error page. Then everything else (`validate`): a failure there is an error page too (400) with a
/// link, not a redirect, back to the client's redirect URI carrying `error=…&error_description=…&state=…&iss=…`
/// (RFC 6749 §4.1.2.1, RFC 9207): anyone can register a client and its redirect URI, so an automatic
/// redirect would make this server an open redirector (RFC 9700 §4.11.2).
enum AuthorizationParameters {
    /// The scope of a request that names none: the least a client can do.
    static let defaultScopes = [OAuthScope.ordersRead.rawValue]
    /// The longest `state` kept and echoed; mcp sends 43 characters.
    static let maximumStateLength = 1024
    /// The longest `client_id` and `redirect_uri` looked at (the tables' limit).
    static let maximumURILength = 2048

    /// Why a request is refused before its redirect URI is trusted.
    enum PageRefusal: Error, Equatable {
        case missingClientID
        case missingRedirectURI
        case redirectMismatch
        /// `client_id` or `redirect_uri` is longer than 2048 characters or holds a character outside
        /// printable ASCII (a URI never does; a NUL would not even reach the database).
        case malformedClientOrRedirect
    }

    /// A refusal the member may take back to the client's redirect URI (a link on the error page).
    struct Refusal: Error, Equatable {
        /// The RFC 6749 §4.1.2.1 `error` code.
        let code: String
        let description: String
    }

    /// What a valid request asks for, beyond the client and the redirect URI.
    struct Accepted: Equatable {
        let state: String?
        let codeChallenge: String
        /// Requested scopes, known ones only, in the fixed order of `OAuthScope`.
        let scopes: [String]
    }

    /// `client_id` and `redirect_uri`, each given exactly once and not empty.
    static func clientAndRedirect(_ fields: FormFields) -> Result<(clientID: String, redirectURI: String), PageRefusal> {
        guard let clientID = fields.single("client_id"), !clientID.isEmpty else { return .failure(.missingClientID) }
        guard let redirectURI = fields.single("redirect_uri"), !redirectURI.isEmpty else {
            return .failure(.missingRedirectURI)
        }
        guard isPrintableASCII(clientID, maximumLength: maximumURILength),
            isPrintableASCII(redirectURI, maximumLength: maximumURILength)
        else { return .failure(.malformedClientOrRedirect) }
        return .success((clientID, redirectURI))
    }

    /// The state to echo in a refusal: the request's, when it is one we would keep.
    static func echoedState(_ fields: FormFields) -> String? {
        guard let state = fields.single("state"), isValidState(state) else { return nil }
        return state
    }

    /// RFC 6749 Appendix A: `state` is VSCHAR (0x20–0x7E); we keep at most 1024 of them.
    static func isValidState(_ state: String) -> Bool {
        !state.isEmpty && isPrintableASCII(state, maximumLength: maximumStateLength)
    }

    /// Only bytes 0x20–0x7E, at most `maximumLength` of them.
    static func isPrintableASCII(_ text: String, maximumLength: Int) -> Bool {
        text.utf8.count <= maximumLength && text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// Checks the rest of a request whose client and redirect URI are trusted.
    static func validate(_ fields: FormFields, resource: String) -> Result<Accepted, Refusal> {
        for name in ["response_type", "code_challenge", "code_challenge_method", "resource", "scope", "state"]
        where fields.count(name) > 1 {
            return .failure(Refusal(code: "invalid_request", description: "\(name) is given more than once"))
        }
        // An empty `state` is the same as none (the table keeps no empty one).
        let state = fields.single("state").flatMap { $0.isEmpty ? nil : $0 }
        if let state, !isValidState(state) {
            return .failure(
                Refusal(
                    code: "invalid_request",
                    description: "state must be at most \(maximumStateLength) printable ASCII characters"))
        }
        guard fields.single("response_type") == "code" else {
            return .failure(Refusal(code: "unsupported_response_type", description: "response_type must be code"))
        }
        guard let challenge = fields.single("code_challenge"), PKCE.isWellFormedChallenge(challenge) else {
            return .failure(Refusal(code: "invalid_request", description: "code_challenge (PKCE S256) is required"))
        }
        guard fields.single("code_challenge_method") == "S256" else {
            return .failure(Refusal(code: "invalid_request", description: "code_challenge_method must be S256"))
        }
        // RFC 8707 lets a client leave `resource` out; this server has one resource, so that means it.
        if let requested = fields.single("resource"), requested != resource {
            return .failure(Refusal(code: "invalid_target", description: "resource must be \(resource)"))
        }
        switch scopes(fields.single("scope")) {
        case .success(let scopes): return .success(Accepted(state: state, codeChallenge: challenge, scopes: scopes))
        case .failure(let refusal): return .failure(refusal)
        }
    }

    /// The requested scopes: known ones in a fixed order; `offline_access` (which mcp adds when the
    /// server lists it) is dropped because refresh tokens come with every grant; none means the default.
    static func scopes(_ text: String?) -> Result<[String], Refusal> {
        var requested: Set<OAuthScope> = []
        for name in (text ?? "").split(separator: " ", omittingEmptySubsequences: true) where name != "offline_access" {
            guard let scope = OAuthScope(rawValue: String(name)) else {
                return .failure(
                    Refusal(code: "invalid_scope", description: "scope may hold orders:read, orders:write and stores:manage"))
            }
            requested.insert(scope)
        }
        return .success(requested.isEmpty ? defaultScopes : OAuthScope.sortedNames(requested))
    }

    /// The URL of the error page's link back to the client.
    static func refusalLocation(_ refusal: Refusal, redirectURI: String, state: String?, issuer: String) -> String {
        var pairs = [("error", refusal.code), ("error_description", refusal.description)]
        if let state { pairs.append(("state", state)) }
        pairs.append(("iss", issuer))
        return URLQuery.appending(pairs, to: redirectURI)
    }
}
